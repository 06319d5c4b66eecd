#pragma once
// What a replica does with a slot whose holder died mid-iteration (SPEC 14): its own header so
// that the config can name it without depending on the cluster's I/O.

namespace tasksrun {

enum class OnCrash {
    skip,   // record it `abandoned` (a run that may have had effects is not repeated)
    rerun,  // run it again on another replica, within misfire_grace
};

}  // namespace tasksrun

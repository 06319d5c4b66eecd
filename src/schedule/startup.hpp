#pragma once
// `cron = "@reboot"`: one slot, when the task's loop starts (the Loop arms it), and none after.
// Whether a start counts (once per boot when state persists) is the runtime's decision.
#include <optional>

#include "util/instant.hpp"

namespace tasksrun {

class StartupSchedule {
  public:
    // There is never a slot after an instant: the one slot is the start itself.
    std::optional<Instant> next_after(Instant /*t*/) const { return std::nullopt; }
};

}  // namespace tasksrun

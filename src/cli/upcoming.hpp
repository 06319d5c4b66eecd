#pragma once
// The firings a task would have if the daemon started at `from`, as `check` and `next` show.
#include <cstddef>
#include <vector>

#include "config/config.hpp"
#include "runtime/task_runner.hpp"

namespace tasksrun {

// Up to `limit` firings in time order, for a daemon alone or a cluster replica. An interval
// task's grid is anchored at `from` (in a cluster: at the epoch plus `offset`): with
// run_at_start its first firing is `from` itself, otherwise `from` + interval. Wall-clock tasks
// fire strictly after `from`; a @reboot task fires once, at `from`. A task with `count` lists at
// most `count` firings (each assumed to succeed); a zero interval lists only its first. Jitter
// is not applied.
std::vector<Instant> upcoming_firings(const TaskConfig& task, Replication replication, Instant from,
                                      std::size_t limit);

// The zone a firing's local time is shown in: that of the `time` entry that produced it (the
// task's zone for entries without one, and for cron), else the daemon's default zone.
const Zone& firing_zone(const TaskConfig& task, const Config& config, Instant at);

}  // namespace tasksrun

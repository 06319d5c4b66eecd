#include "cli/upcoming.hpp"

#include <algorithm>

#include "cli/load.hpp"
#include "loop/loop.hpp"
#include "runtime/task_runner.hpp"

namespace tasksrun {
namespace {

// The first slot as the daemon's Loop would arm it, started at `from` (run_at_start, @reboot
// and the rest decided in one place). Its hooks and jitter are left out: they move when an
// iteration runs, not which slot it is.
std::optional<Instant> first_slot(LoopSettings settings, Instant from) {
    settings.has_before_loop = false;
    settings.jitter = Duration::zero();
    Loop loop(std::move(settings), 1);
    Commands ignored;
    const Now now{from, MonoInstant{from.time_since_epoch()}};
    loop.start(now, ignored);
    return loop.next_iteration(now);
}

}  // namespace

std::vector<Instant> upcoming_firings(const TaskConfig& task, Replication replication, Instant from,
                                      std::size_t limit) {
    if (task.count) limit = static_cast<std::size_t>(std::min<std::uint64_t>(limit, *task.count));
    const IntervalSchedule* interval = task.schedule.interval();
    const bool only_one = task.schedule.at_startup() ||
                          (interval != nullptr && interval->period() == Duration::zero());
    if (only_one) limit = std::min<std::size_t>(limit, 1);
    std::vector<Instant> firings;
    if (limit == 0) return firings;
    const LoopSettings settings = loop_settings(task, replication);
    const std::optional<Instant> first = first_slot(settings, from);
    if (!first) return firings;
    firings.push_back(*first);
    // An interval's grid is anchored where the loop starts it: at `from`, or in a cluster at the
    // epoch plus the task's offset.
    const Instant anchor = settings.epoch_offset ? Instant{} + *settings.epoch_offset : from;
    while (firings.size() < limit) {
        const auto next = task.schedule.next_after(firings.back(), anchor);
        if (!next) break;
        firings.push_back(*next);
    }
    return firings;
}

const Zone& firing_zone(const TaskConfig& task, const Config& config, Instant at) {
    if (const auto* clock = task.schedule.wall_clock()) return clock->zone_of_slot(at);
    return display_zone(task, config);
}

}  // namespace tasksrun

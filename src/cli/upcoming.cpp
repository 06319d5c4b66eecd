#include "cli/upcoming.hpp"

#include <algorithm>

#include "cli/load.hpp"

namespace tasksrun {

std::vector<Instant> upcoming_firings(const TaskConfig& task, Instant from, std::size_t limit) {
    if (task.count) limit = static_cast<std::size_t>(std::min<std::uint64_t>(limit, *task.count));
    std::vector<Instant> firings;
    const IntervalSchedule* interval = task.schedule.interval();
    if (interval != nullptr && interval->period() == Duration::zero())
        limit = std::min<std::size_t>(limit, 1);
    if (limit == 0) return firings;

    if (task.schedule.at_startup()) return {from};  // as if the daemon started at `from`
    Instant cursor = from;
    if (interval != nullptr) {
        if (task.run_at_start) {
            firings.push_back(from);
        } else {
            cursor = interval->next_after(from, from);
            firings.push_back(cursor);
        }
    }
    while (firings.size() < limit) {
        if (!firings.empty()) cursor = firings.back();
        const auto next = task.schedule.next_after(cursor, from);
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

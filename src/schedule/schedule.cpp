#include "schedule/schedule.hpp"

#include <date/date.h>

#include "util/duration.hpp"

namespace tasksrun {

std::optional<Instant> Schedule::next_after(Instant t, Instant anchor) const {
    if (const auto* interval = this->interval()) return interval->next_after(t, anchor);
    return wall_clock()->next_after(t);
}

std::string Schedule::describe() const {
    if (const auto* interval = this->interval()) {
        if (interval->period() == Duration::zero()) return "continuously";
        return "every " + format_duration(interval->period());
    }
    const WallClockSchedule& clock = *wall_clock();
    std::string text;
    if (const auto* cron = std::get_if<CronExpression>(&clock.pattern())) {
        text = "cron \"" + cron->text() + "\"";
    } else {
        text = "at";
        const char* separator = " ";
        for (const auto since_midnight : std::get<TimesOfDay>(clock.pattern()).times()) {
            text += separator;
            // "06:00", or "06:00:30" when the seconds matter.
            text += date::format(since_midnight % std::chrono::minutes{1} == std::chrono::seconds{0}
                                     ? "%H:%M"
                                     : "%T",
                                 since_midnight);
            separator = ", ";
        }
    }
    return text + " (" + clock.zone().name() + ")";
}

}  // namespace tasksrun

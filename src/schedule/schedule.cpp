#include "schedule/schedule.hpp"

#include <date/date.h>

#include "util/duration.hpp"

namespace tasksrun {

std::optional<Instant> Schedule::next_after(Instant t, Instant anchor) const {
    if (const auto* interval = this->interval()) return interval->next_after(t, anchor);
    if (const auto* clock = wall_clock()) return clock->next_after(t);
    return std::get<StartupSchedule>(kind_).next_after(t);
}

namespace {

// "06:00, 18:00", with seconds only where they matter ("06:00:30").
std::string times_text(const TimesOfDay& times) {
    std::string text;
    for (const auto since_midnight : times.times()) {
        if (!text.empty()) text += ", ";
        text += date::format(
            since_midnight % std::chrono::minutes{1} == std::chrono::seconds{0} ? "%H:%M" : "%T",
            since_midnight);
    }
    return text;
}

}  // namespace

std::string Schedule::describe() const {
    if (const auto* interval = this->interval()) {
        if (interval->period() == Duration::zero()) return "continuously";
        return "every " + format_duration(interval->period());
    }
    if (at_startup()) return "cron \"@reboot\"";
    const WallClockSchedule& clock = *wall_clock();
    if (const auto* cron = std::get_if<CronExpression>(&clock.pattern())) {
        return "cron \"" + cron->text() + "\" (" + clock.zone().name() + ")";
    }
    // "at 09:00 (UTC); 09:00 (America/New_York)": one group per zone, the task's zone first.
    std::string text;
    const auto& own = std::get<TimesOfDay>(clock.pattern());
    if (!own.times().empty()) text = times_text(own) + " (" + clock.zone().name() + ")";
    for (const ZonedTimes& group : clock.elsewhere()) {
        if (!text.empty()) text += "; ";
        text += times_text(group.times) + " (" + group.zone.name() + ")";
    }
    return "at " + text;
}

}  // namespace tasksrun

#pragma once
// What a task's schedule is, whichever of the three kinds it was declared as.
#include <optional>
#include <string>
#include <variant>

#include "schedule/interval.hpp"
#include "schedule/startup.hpp"
#include "schedule/wall_clock.hpp"

namespace tasksrun {

class Schedule {
  public:
    explicit Schedule(IntervalSchedule interval) : kind_(interval) {}
    explicit Schedule(WallClockSchedule wall_clock) : kind_(std::move(wall_clock)) {}
    explicit Schedule(StartupSchedule startup) : kind_(startup) {}

    const IntervalSchedule* interval() const { return std::get_if<IntervalSchedule>(&kind_); }
    const WallClockSchedule* wall_clock() const { return std::get_if<WallClockSchedule>(&kind_); }
    // @reboot: its one slot is the loop's start.
    bool at_startup() const { return std::holds_alternative<StartupSchedule>(kind_); }

    // The first slot strictly after t (for a zero interval, at or after t). Interval slots are
    // on the grid anchored at `anchor`; wall-clock slots ignore it; @reboot has none.
    std::optional<Instant> next_after(Instant t, Instant anchor) const;

    // One line for people: "every 30s", "at 03:00, 15:00 (Europe/Berlin)",
    // "at 09:00 (Europe/Berlin); 09:00 (America/New_York)",
    // "cron \"0 9 * * MON-FRI\" (America/New_York)", "cron \"@reboot\"".
    std::string describe() const;

  private:
    std::variant<IntervalSchedule, WallClockSchedule, StartupSchedule> kind_;
};

}  // namespace tasksrun

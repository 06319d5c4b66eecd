#pragma once
// A set of local times of day ("03:00", "15:00:30"), evaluated on local time like a cron.
#include <date/date.h>

#include <chrono>
#include <optional>
#include <vector>

namespace tasksrun {

class TimesOfDay {
  public:
    // Precondition: every entry is in [0s, 24h). Duplicates are removed; order does not matter.
    // Empty means no time at all: a task whose `time` entries all name other zones.
    explicit TimesOfDay(std::vector<std::chrono::seconds> since_midnight);

    const std::vector<std::chrono::seconds>& times() const { return times_; }

    bool matches(date::local_seconds t) const;
    // The first listed local time in [from, until), or nullopt if there is none.
    std::optional<date::local_seconds> next_match(date::local_seconds from,
                                                  date::local_seconds until) const;

  private:
    std::vector<std::chrono::seconds> times_;  // sorted, unique
};

}  // namespace tasksrun

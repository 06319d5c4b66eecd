#pragma once
// Schedules on the wall clock of a zone: `time = [...]` and `cron = "..."`.
#include <optional>
#include <variant>

#include "schedule/cron.hpp"
#include "util/instant.hpp"
#include "schedule/times_of_day.hpp"
#include "schedule/zone.hpp"

namespace tasksrun {

enum class DstGap { shift, at_transition, skip };
enum class DstFold { first, last };

// How a fixed-time slot maps to an instant when its local time does not exist (gap) or
// exists twice (fold). Real-time cron entries ignore it.
struct DstPolicy {
    DstGap gap = DstGap::shift;
    DstFold fold = DstFold::first;
};

class WallClockSchedule {
  public:
    using Pattern = std::variant<CronExpression, TimesOfDay>;

    WallClockSchedule(Pattern pattern, Zone zone, DstPolicy policy);

    const Pattern& pattern() const { return pattern_; }
    const Zone& zone() const { return zone_; }
    DstPolicy policy() const { return policy_; }
    // `time` entries always are; cron entries as CronExpression::is_fixed_time() says.
    bool is_fixed_time() const;

    // The first slot strictly after t: never early, never the same slot twice. Fixed-time slots
    // follow the DST policy (a shifted or at-transition slot that lands on the instant of
    // another slot runs once); real-time slots are every instant whose local time matches.
    // nullopt when nothing fires within 100 years of t (only possible with dst_gap = "skip").
    std::optional<Instant> next_after(Instant t) const;

  private:
    std::optional<date::local_seconds> next_local_match(date::local_seconds from,
                                                        date::local_seconds until) const;

    Pattern pattern_;
    Zone zone_;
    DstPolicy policy_;
};

}  // namespace tasksrun

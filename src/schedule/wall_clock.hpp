#pragma once
// Schedules on the wall clock of a zone: `time = [...]` and `cron = "..."`.
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include "schedule/cron.hpp"
#include "schedule/times_of_day.hpp"
#include "schedule/zone.hpp"
#include "util/instant.hpp"

namespace tasksrun {

enum class DstGap { shift, at_transition, skip };
enum class DstFold { first, last };

// How a fixed-time slot maps to an instant when its local time does not exist (gap) or
// exists twice (fold). Real-time cron entries ignore it.
struct DstPolicy {
    DstGap gap = DstGap::shift;
    DstFold fold = DstFold::first;
};

// `time` entries that name a zone of their own ("09:00 America/New_York").
struct ZonedTimes {
    TimesOfDay times;
    Zone zone;
};

class WallClockSchedule {
  public:
    using Pattern = std::variant<CronExpression, TimesOfDay>;

    // `pattern` runs in `zone`, the task's zone. `elsewhere` holds times of day that run in
    // zones of their own, one entry per zone other than `zone`; `pattern` is then a TimesOfDay,
    // empty when every entry names its zone.
    WallClockSchedule(Pattern pattern, Zone zone, DstPolicy policy,
                      std::vector<ZonedTimes> elsewhere = {});

    const Pattern& pattern() const { return pattern_; }
    const Zone& zone() const { return zone_; }
    const std::vector<ZonedTimes>& elsewhere() const;
    DstPolicy policy() const { return policy_; }
    // `time` entries always are; cron entries as CronExpression::is_fixed_time() says.
    bool is_fixed_time() const;

    // The first slot strictly after t: never early, never the same slot twice. Fixed-time slots
    // follow the DST policy (a shifted or at-transition slot that lands on the instant of
    // another slot runs once); real-time slots are every instant whose local time matches.
    // nullopt when nothing fires within 100 years of t (only possible with dst_gap = "skip").
    std::optional<Instant> next_after(Instant t) const;

    // The zone of the entry that produced `slot` (a result of next_after), for showing its local
    // time: the task's zone first when entries in several zones land on the same instant.
    const Zone& zone_of_slot(Instant slot) const;

  private:
    Pattern pattern_;
    Zone zone_;
    DstPolicy policy_;
    // Shared by the copies of one task's schedule (its config's and its Loop's), and null when
    // empty: most tasks have no such entries and pay one pointer pair.
    std::shared_ptr<const std::vector<ZonedTimes>> elsewhere_;
};

}  // namespace tasksrun

#pragma once
// A cron expression evaluated on local (zone-less) time. Which instants those local times
// become is decided by WallClockSchedule, not here. Parsing is in cron_parse.cpp, matching in
// cron.cpp.
#include <date/date.h>

#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace tasksrun {

struct CronParseError {
    std::string message;
    std::size_t offset;  // byte offset into the expression text where the problem starts
};

class CronExpression {
  public:
    // Accepts 5 fields (minute hour day-of-month month day-of-week), 6 fields with seconds
    // first, or @hourly @daily @midnight @weekly @monthly @yearly @annually. Names (JAN, MON)
    // and letters are case-insensitive; day-of-week 7 is Sunday. Beyond Vixie cron:
    //   - ranges wrap around (FRI-MON, NOV-FEB, 22-2), steps included (22-2/2 is 22, 0, 2);
    //   - "?" is "*" in the day fields;
    //   - day-of-month: L (last day), L-n (n days before it, 0-30), nW (the weekday nearest
    //     the n-th, within the month), LW and L-nW (the weekday nearest those), a-L (a to the
    //     last day);
    //   - day-of-week: dL (the last such weekday of the month: 5L, FRIL), d#n and d-e#n (the
    //     n-th such weekday, 1-5), d#L (the last);
    //   - H (Jenkins): a value hashed from `hash_key` (the task's name), stable for that key:
    //     H, H(a-b), H/n, H(a-b)/n. In day-of-month a bare H stays within 1-28. H is resolved
    //     here into an ordinary set of values.
    // An expression that matches no date at all (0 0 30 2 *, 0 0 */100 * MON#4) is an error
    // here, so next_match() always finds a match within 400 years.
    static std::expected<CronExpression, CronParseError> parse(std::string_view text,
                                                               std::string_view hash_key = {});

    const std::string& text() const { return text_; }

    // Fixed-time entries (neither the minute nor the hour field starts with '*') follow the
    // dst_gap/dst_fold policies; the others run on every matching instant (SPEC 4.3).
    bool is_fixed_time() const { return flag(kFixedTime); }

    bool matches(date::local_seconds t) const;

    // The first matching local time in [from, until), or nullopt if there is none.
    std::optional<date::local_seconds> next_match(date::local_seconds from,
                                                  date::local_seconds until) const;

    // The days of the month `ym` that match both day fields under cron's rule, as bits 1..31.
    std::uint64_t matching_days(date::year_month ym) const;

  private:
    // The allowed values of one field as a bit mask (no field has more than 60 values).
    struct Field {
        std::uint64_t mask = 0;
        bool allows(unsigned value) const { return (mask >> value) & 1U; }
        // The smallest allowed value >= `from`, or 64 if there is none: a jump, not a scan.
        unsigned next_at(unsigned from) const;
    };

    CronExpression() = default;
    std::uint64_t day_of_month_days(unsigned days_in_month, unsigned first_weekday) const;
    std::uint64_t day_of_week_days(unsigned days_in_month, unsigned first_weekday) const;

    // The fields, packed into six words beside the text (a task holds a few copies of its
    // schedule, and ten thousand tasks must stay small): each a bit set, bit v for value v.
    Field hour_field() const { return {hours_months_weekdays_ & 0xFF'FFFF}; }
    Field month_field() const { return {(hours_months_weekdays_ >> kMonthsAt) & 0x1FFF}; }
    Field weekday_field() const { return {(hours_months_weekdays_ >> kWeekdaysAt) & 0x7F}; }
    Field day_field() const { return {days_of_month_ & 0xFFFF'FFFF}; }
    bool flag(unsigned bit) const { return (hours_months_weekdays_ >> bit) & 1U; }

    static constexpr unsigned kMonthsAt = 24;    // months 1..12
    static constexpr unsigned kWeekdaysAt = 40;  // 0 = Sunday .. 6
    // Cron's rule: when both day fields are restricted (neither starts with '*' or '?'), a day
    // matches if either does; otherwise both must.
    static constexpr unsigned kDayOfMonthStar = 48;
    static constexpr unsigned kDayOfWeekStar = 49;
    static constexpr unsigned kFixedTime = 50;
    // Every day matches (both day fields "*" or "?"): the day search can be skipped.
    static constexpr unsigned kEveryDay = 51;

    std::string text_;
    std::uint64_t seconds_ = 0;
    std::uint64_t minutes_ = 0;
    std::uint64_t hours_months_weekdays_ = 0;  // and the three flags above
    // Bits 1..31: the days; bit 32 + n: nW, the weekday nearest day n.
    std::uint64_t days_of_month_ = 0;
    // The other day extensions, 0 when unused.
    std::uint64_t last_days_ = 0;     // bit k: L-k; bit 32 + k: the weekday nearest L-k
    std::uint64_t nth_weekdays_ = 0;  // bit 7 (n - 1) + d: d#n; bit 35 + d: the last d
};

}  // namespace tasksrun

#pragma once
// A cron expression evaluated on local (zone-less) time. Which instants those local times
// become is decided by WallClockSchedule, not here.
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
    // are case-insensitive; day-of-week 7 is Sunday. An expression that matches no date at all
    // (0 0 30 2 *) is an error here, so next_match() always terminates.
    static std::expected<CronExpression, CronParseError> parse(std::string_view text);

    const std::string& text() const { return text_; }

    // Fixed-time entries (neither the minute nor the hour field starts with '*') follow the
    // dst_gap/dst_fold policies; the others run on every matching instant (SPEC 4.3).
    bool is_fixed_time() const { return fixed_time_; }

    bool matches(date::local_seconds t) const;

    // The first matching local time in [from, until), or nullopt if there is none.
    std::optional<date::local_seconds> next_match(date::local_seconds from,
                                                  date::local_seconds until) const;

  private:
    // The allowed values of one field as a bit mask (no field has more than 60 values).
    struct Field {
        std::uint64_t mask = 0;
        bool allows(unsigned value) const { return (mask >> value) & 1U; }
        // The smallest allowed value >= `from`, or 64 if there is none: a jump, not a scan.
        unsigned next_at(unsigned from) const;
    };

    CronExpression() = default;
    bool day_matches(const date::year_month_day& ymd, date::weekday wd) const;

    std::string text_;
    Field seconds_;
    Field minutes_;
    Field hours_;
    Field days_of_month_;  // 1..31
    Field months_;         // 1..12
    Field days_of_week_;   // 0 = Sunday
    // Cron's rule: when both day fields are restricted (neither starts with '*'), a day matches
    // if either does; otherwise both must.
    bool day_of_month_star_ = false;
    bool day_of_week_star_ = false;
    bool fixed_time_ = false;
};

}  // namespace tasksrun

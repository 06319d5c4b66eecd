// Matching a parsed CronExpression against local time; parsing is in cron_parse.cpp.
#include "schedule/cron.hpp"

#include <bit>

namespace tasksrun {
namespace {

// Bits 0, 7, 14, 21 and 28: one weekday's days of a month, shifted to its first day.
constexpr std::uint64_t kOncePerWeek = 0x10204081;

// The weekday nearest `day` (Quartz's W): a Saturday moves to the Friday before, a Sunday to the
// Monday after, but never out of the month (1W on a Saturday is the 3rd).
unsigned nearest_weekday(unsigned day, unsigned days_in_month, unsigned first_weekday) {
    const unsigned weekday = (first_weekday + day - 1) % 7;
    if (weekday == 6) return day == 1 ? 3 : day - 1;
    if (weekday == 0) return day == days_in_month ? day - 2 : day + 1;
    return day;
}

// The first day of the month that is `weekday`, given the weekday of the 1st (0 = Sunday).
unsigned first_day_that_is(unsigned weekday, unsigned first_weekday) {
    return 1 + (weekday + 7 - first_weekday) % 7;
}

}  // namespace

unsigned CronExpression::Field::next_at(unsigned from) const {
    if (from >= 64) return 64;
    const std::uint64_t rest = mask >> from;
    return rest == 0 ? 64 : from + static_cast<unsigned>(std::countr_zero(rest));
}

std::uint64_t CronExpression::day_of_month_days(unsigned days_in_month,
                                                unsigned first_weekday) const {
    std::uint64_t days = day_field().mask;
    for (std::uint64_t bits = last_days_; bits != 0; bits &= bits - 1) {
        const auto bit = static_cast<unsigned>(std::countr_zero(bits));
        const unsigned before_last = bit % 32;
        if (before_last >= days_in_month) continue;  // L-30 in February
        const unsigned day = days_in_month - before_last;
        days |= std::uint64_t{1} << (bit < 32 ? day
                                              : nearest_weekday(day, days_in_month, first_weekday));
    }
    for (std::uint64_t bits = days_of_month_ >> 32; bits != 0; bits &= bits - 1) {
        const auto day = static_cast<unsigned>(std::countr_zero(bits));
        if (day > days_in_month) continue;  // 31W in a 30-day month, as 31 itself
        days |= std::uint64_t{1} << nearest_weekday(day, days_in_month, first_weekday);
    }
    return days;
}

std::uint64_t CronExpression::day_of_week_days(unsigned days_in_month,
                                               unsigned first_weekday) const {
    std::uint64_t days = 0;
    for (std::uint64_t bits = weekday_field().mask; bits != 0; bits &= bits - 1) {
        const auto weekday = static_cast<unsigned>(std::countr_zero(bits));
        days |= kOncePerWeek << first_day_that_is(weekday, first_weekday);
    }
    for (std::uint64_t bits = nth_weekdays_; bits != 0; bits &= bits - 1) {
        const auto bit = static_cast<unsigned>(std::countr_zero(bits));
        const unsigned first = first_day_that_is(bit % 7, first_weekday);
        const unsigned day =
            bit < 35 ? first + 7 * (bit / 7) : first + 7 * ((days_in_month - first) / 7);
        if (day <= days_in_month) days |= std::uint64_t{1} << day;  // no 5th Monday this month
    }
    return days;
}

std::uint64_t CronExpression::matching_days(date::year_month ym) const {
    const auto days_in_month = static_cast<unsigned>((ym / date::last).day());
    const std::uint64_t in_month = ((std::uint64_t{1} << days_in_month) - 1) << 1;
    if (flag(kEveryDay)) return in_month;
    const unsigned first_weekday = date::weekday{date::local_days{ym / 1}}.c_encoding();
    const std::uint64_t by_day_of_month = day_of_month_days(days_in_month, first_weekday);
    const std::uint64_t by_day_of_week = day_of_week_days(days_in_month, first_weekday);
    if (flag(kDayOfMonthStar) || flag(kDayOfWeekStar))
        return by_day_of_month & by_day_of_week & in_month;
    return (by_day_of_month | by_day_of_week) & in_month;
}

bool CronExpression::matches(date::local_seconds t) const {
    const date::local_days day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss tod{t - day};
    return month_field().allows(static_cast<unsigned>(ymd.month())) &&
           ((matching_days(ymd.year() / ymd.month()) >> static_cast<unsigned>(ymd.day())) & 1) &&
           hour_field().allows(static_cast<unsigned>(tod.hours().count())) &&
           Field{minutes_}.allows(static_cast<unsigned>(tod.minutes().count())) &&
           Field{seconds_}.allows(static_cast<unsigned>(tod.seconds().count()));
}

std::optional<date::local_seconds> CronExpression::next_match(date::local_seconds from,
                                                              date::local_seconds until) const {
    using std::chrono::hours;
    using std::chrono::minutes;
    using std::chrono::seconds;
    const Field months_allowed = month_field();
    const Field hours_allowed = hour_field();
    const Field minutes_allowed{minutes_};
    const Field seconds_allowed{seconds_};
    date::local_seconds t = from;
    // The matching days of the month the search is in, computed once per month.
    std::optional<date::year_month> month_of_days;
    std::uint64_t days_of_month = 0;
    while (t < until) {
        const date::local_days day = date::floor<date::days>(t);
        const date::year_month_day ymd{day};
        const auto month = static_cast<unsigned>(ymd.month());
        if (!months_allowed.allows(month)) {
            const unsigned next_month = months_allowed.next_at(month);
            const date::year_month first_of_next =
                next_month <= 12
                    ? ymd.year() / date::month{next_month}
                    : (ymd.year() + date::years{1}) / date::month{months_allowed.next_at(1)};
            t = date::local_days{first_of_next / 1};
            continue;
        }
        const date::year_month ym = ymd.year() / ymd.month();
        if (month_of_days != ym) {
            days_of_month = matching_days(ym);
            month_of_days = ym;
        }
        const std::uint64_t from_today = days_of_month >> static_cast<unsigned>(ymd.day());
        if (from_today == 0) {
            t = date::local_days{(ym + date::months{1}) / 1};
            continue;
        }
        if ((from_today & 1) == 0) {
            t = day + date::days{std::countr_zero(from_today)};
            continue;
        }
        const seconds since_midnight = t - day;
        const auto hour = static_cast<unsigned>(since_midnight / hours{1});
        const auto minute = static_cast<unsigned>((since_midnight % hours{1}) / minutes{1});
        const auto second = static_cast<unsigned>((since_midnight % minutes{1}).count());
        if (!hours_allowed.allows(hour)) {
            const unsigned next_hour = hours_allowed.next_at(hour);
            t = next_hour < 24 ? day + hours{next_hour} : day + date::days{1};
            continue;
        }
        if (!minutes_allowed.allows(minute)) {
            const unsigned next_minute = minutes_allowed.next_at(minute);
            t = next_minute < 60 ? day + hours{hour} + minutes{next_minute} : day + hours{hour + 1};
            continue;
        }
        if (!seconds_allowed.allows(second)) {
            const unsigned next_second = seconds_allowed.next_at(second);
            t = next_second < 60 ? day + hours{hour} + minutes{minute} + seconds{next_second}
                                 : day + hours{hour} + minutes{minute + 1};
            continue;
        }
        return t;
    }
    return std::nullopt;
}

}  // namespace tasksrun

#include "schedule/cron.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using test::at;
using test::next_local;
using Firings = std::vector<std::string>;

Firings utc_firings(const std::string& expression, const std::string& from, std::size_t n) {
    auto cron = CronExpression::parse(expression);
    REQUIRE(cron.has_value());
    return next_local(WallClockSchedule(*cron, Zone::utc(), {}), at(from), n);
}

TEST_CASE("cron: leap days, month ends and year ends", "[schedule][cron]") {
    CHECK(utc_firings("0 0 29 2 *", "2023-03-01T00:00:00Z", 2) ==
          Firings{"2024-02-29T00:00:00+00:00", "2028-02-29T00:00:00+00:00"});
    // 2100 is not a leap year.
    CHECK(utc_firings("0 0 29 2 *", "2096-03-01T00:00:00Z", 1) ==
          Firings{"2104-02-29T00:00:00+00:00"});
    CHECK(utc_firings("0 12 31 * *", "2025-01-31T13:00:00Z", 4) ==
          Firings{"2025-03-31T12:00:00+00:00", "2025-05-31T12:00:00+00:00",
                  "2025-07-31T12:00:00+00:00", "2025-08-31T12:00:00+00:00"});
    CHECK(utc_firings("59 23 31 12 *", "2025-12-31T23:59:00Z", 1) ==
          Firings{"2026-12-31T23:59:00+00:00"});
    CHECK(utc_firings("*/20 * * * * *", "2025-12-31T23:59:50Z", 3) ==
          Firings{"2026-01-01T00:00:00+00:00", "2026-01-01T00:00:20+00:00",
                  "2026-01-01T00:00:40+00:00"});
    CHECK(utc_firings("0 0 1 */3 *", "2025-11-15T00:00:00Z", 2) ==
          Firings{"2026-01-01T00:00:00+00:00", "2026-04-01T00:00:00+00:00"});
}

TEST_CASE("cron: day-of-month and day-of-week follow cron's rule", "[schedule][cron]") {
    // Both restricted: either matches (the 13th, and every Friday). June 1st 2025 is a Sunday.
    CHECK(utc_firings("0 0 13 * FRI", "2025-06-01T00:00:00Z", 8) ==
          Firings{"2025-06-06T00:00:00+00:00", "2025-06-13T00:00:00+00:00",
                  "2025-06-20T00:00:00+00:00", "2025-06-27T00:00:00+00:00",
                  "2025-07-04T00:00:00+00:00", "2025-07-11T00:00:00+00:00",
                  "2025-07-13T00:00:00+00:00", "2025-07-18T00:00:00+00:00"});
    // A field starting with '*' is not "restricted": both must match (odd days that are Mondays).
    CHECK(utc_firings("0 0 */2 * MON", "2025-06-01T00:00:00Z", 4) ==
          Firings{"2025-06-09T00:00:00+00:00", "2025-06-23T00:00:00+00:00",
                  "2025-07-07T00:00:00+00:00", "2025-07-21T00:00:00+00:00"});
    // Only day-of-week restricted.
    CHECK(utc_firings("0 9 * * mon-fri", "2025-06-06T10:00:00Z", 2) ==
          Firings{"2025-06-09T09:00:00+00:00", "2025-06-10T09:00:00+00:00"});
    // 7 and 0 are both Sunday.
    CHECK(utc_firings("0 0 * * 7", "2025-06-01T00:00:00Z", 1) ==
          utc_firings("0 0 * * 0", "2025-06-01T00:00:00Z", 1));
    CHECK(utc_firings("0 0 * * 5-7", "2025-06-06T00:00:00Z", 3) ==
          Firings{"2025-06-07T00:00:00+00:00", "2025-06-08T00:00:00+00:00",
                  "2025-06-13T00:00:00+00:00"});
}

TEST_CASE("cron: names, lists, ranges, steps and macros", "[schedule][cron]") {
    CHECK(utc_firings("0 12 1 JAN,jul *", "2025-02-01T00:00:00Z", 2) ==
          Firings{"2025-07-01T12:00:00+00:00", "2026-01-01T12:00:00+00:00"});
    CHECK(utc_firings("10-20/5 8 * * *", "2025-06-01T00:00:00Z", 4) ==
          Firings{"2025-06-01T08:10:00+00:00", "2025-06-01T08:15:00+00:00",
                  "2025-06-01T08:20:00+00:00", "2025-06-02T08:10:00+00:00"});
    CHECK(utc_firings("50/5 8 * * *", "2025-06-01T00:00:00Z", 3) ==
          Firings{"2025-06-01T08:50:00+00:00", "2025-06-01T08:55:00+00:00",
                  "2025-06-02T08:50:00+00:00"});
    CHECK(utc_firings("0 12 * JUL WED", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2025-07-02T12:00:00+00:00"});
    CHECK(utc_firings("@yearly", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2026-01-01T00:00:00+00:00"});
    CHECK(utc_firings("@annually", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2026-01-01T00:00:00+00:00"});
    CHECK(utc_firings("@monthly", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2025-07-01T00:00:00+00:00"});
    CHECK(utc_firings("@weekly", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2025-06-08T00:00:00+00:00"});
    CHECK(utc_firings("@daily", "2025-06-01T00:00:00Z", 1) == Firings{"2025-06-02T00:00:00+00:00"});
    CHECK(utc_firings("@midnight", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2025-06-02T00:00:00+00:00"});
    CHECK(utc_firings("@hourly", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2025-06-01T01:00:00+00:00"});
    CHECK(utc_firings("  0 0 * * *  ", "2025-06-01T00:00:00Z", 1) ==
          Firings{"2025-06-02T00:00:00+00:00"});
}

TEST_CASE("cron: fixed-time means neither minute nor hour starts with *", "[schedule][cron]") {
    const auto fixed = [](const char* e) { return CronExpression::parse(e)->is_fixed_time(); };
    CHECK(fixed("30 2 * * *"));
    CHECK(fixed("0,30 1-3 * * *"));
    CHECK(fixed("@daily"));
    CHECK_FALSE(fixed("*/5 2 * * *"));
    CHECK_FALSE(fixed("30 * * * *"));
    CHECK_FALSE(fixed("@hourly"));
    CHECK(fixed("* 30 2 * * *"));  // the seconds field does not count
}

struct BadCron {
    const char* expression;
    const char* message;
    std::size_t offset;
};

TEST_CASE("cron: malformed expressions say what and where", "[schedule][cron]") {
    const BadCron cases[] = {
        {"0 0 30 2 *", "this expression never fires: no selected month has the selected days", 4},
        {"0 0 31 4,6,9,11 *",
         "this expression never fires: no selected month has the selected days", 4},
        {"60 * * * *", "minute field: 60 is out of range 0-59", 0},
        {"0 24 * * *", "hour field: 24 is out of range 0-23", 2},
        {"0 0 0 * *", "day-of-month field: 0 is out of range 1-31", 4},
        {"0 0 * 13 *", "month field: 13 is out of range 1-12", 6},
        {"0 0 * * 8", "day-of-week field: 8 is out of range 0-7", 8},
        {"0 0 * FOO *", "month field: unknown name \"FOO\"", 6},
        {"0 0 * * MON-FOO", "day-of-week field: unknown name \"FOO\"", 12},
        {"*/0 * * * *", "minute field: step \"0\" must be a positive number", 2},
        {"5-1 * * * *", "minute field: range \"5-1\" runs backwards", 0},
        {"1,,2 * * * *", "minute field: empty list item", 2},
        {"x * * * *", "minute field: \"x\" is not a number", 0},
        {"0 0 L * *", "day-of-month field: \"L\" uses syntax that cron does not have", 4},
        {"0 0 15W * *", "day-of-month field: \"15W\" uses syntax that cron does not have", 4},
        {"0 0 * * 5#2", "day-of-week field: \"5#2\" uses syntax that cron does not have", 8},
        {"0 0 ? * *", "day-of-month field: \"?\" uses syntax that cron does not have", 4},
        {"0 0 * *",
         "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds "
         "first, found 4",
         0},
        {"0 0 * * * * *",
         "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with "
         "seconds first, found 7",
         0},
        {"",
         "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, "
         "found 0",
         0},
        {"@reboot", "unknown macro \"@reboot\" (use @hourly, @daily, @weekly, @monthly or @yearly)",
         0},
    };
    for (const BadCron& c : cases) {
        INFO(c.expression);
        const auto parsed = CronExpression::parse(c.expression);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().message == c.message);
        CHECK(parsed.error().offset == c.offset);
    }
}

TEST_CASE("cron: next_match stays inside its from-until window", "[schedule][cron]") {
    const auto cron = *CronExpression::parse("0 12 * * *");
    const date::local_seconds noon{date::local_days{date::year{2025} / 6 / 1} +
                                   std::chrono::hours{12}};
    CHECK(cron.next_match(noon, noon + std::chrono::seconds{1}) == noon);
    CHECK_FALSE(
        cron.next_match(noon + std::chrono::seconds{1}, noon + std::chrono::hours{24}).has_value());
    CHECK(cron.next_match(noon + std::chrono::seconds{1}, noon + std::chrono::hours{25}) ==
          noon + std::chrono::hours{24});
}

}  // namespace
}  // namespace tasksrun

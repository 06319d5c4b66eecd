#include "schedule/cron.hpp"

#include <catch2/catch.hpp>
#include <span>

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

// Vectors from other cron libraries' own test suites, each with its origin. Their "now" is the
// `from` instant here (all in UTC); the expected firings are theirs. Where their spelling differs
// from tasksrun's the translation is noted.
struct Vector {
    const char* origin;
    const char* expression;
    const char* from;
    Firings expected;
};

void check_vectors(std::span<const Vector> vectors) {
    for (const Vector& v : vectors) {
        INFO(v.origin << ": " << v.expression << " after " << v.from);
        CHECK(utc_firings(v.expression, v.from, v.expected.size()) == v.expected);
    }
}

TEST_CASE("cron: L, LW, L-n and nW in the day-of-month field", "[schedule][cron]") {
    const Vector vectors[] = {
        // cuu508/cronsim tests/test_cronsim.py (fd2e617), TestIterator.
        {"cronsim test_it_handles_l",
         "1 1 L * *",
         "2020-01-01T00:00:00Z",
         {"2020-01-31T01:01:00+00:00"}},
        {"cronsim test_it_handles_lw",
         "1 1 LW 5 *",
         "2020-01-01T00:00:00Z",
         {"2020-05-29T01:01:00+00:00"}},
        // kiorky/croniter src/croniter/tests/test_croniter.py (d813502).
        {"croniter testLastDayOfMonth",
         "0 0 l * *",
         "2015-09-04T00:00:00Z",
         {"2015-09-30T00:00:00+00:00", "2015-10-31T00:00:00+00:00", "2015-11-30T00:00:00+00:00",
          "2015-12-31T00:00:00+00:00"}},
        {"croniter testRangeWithUppercaseLastDayOfMonth",
         "0 0 29-L * *",
         "2015-09-04T00:00:00Z",
         {"2015-09-29T00:00:00+00:00", "2015-09-30T00:00:00+00:00"}},
        // Hexagon/croner test/pattern.test.ts (713ee72); croner has seconds first, as here.
        {"croner L 2 (2022)", "0 0 0 L 2 *", "2022-02-04T00:00:00Z", {"2022-02-28T00:00:00+00:00"}},
        {"croner L 2 (2024)", "0 0 0 L 2 *", "2023-12-30T00:00:00Z", {"2024-02-29T00:00:00+00:00"}},
        {"croner 15W on a weekday",
         "0 0 0 15W 7 *",
         "2025-07-01T00:00:00Z",
         {"2025-07-15T00:00:00+00:00"}},
        {"croner 19W on a Saturday",
         "0 0 0 19W 7 *",
         "2025-07-01T00:00:00Z",
         {"2025-07-18T00:00:00+00:00"}},
        {"croner 20W on a Sunday",
         "0 0 0 20W 7 *",
         "2025-07-01T00:00:00Z",
         {"2025-07-21T00:00:00+00:00"}},
        {"croner 1W on a Sunday",
         "0 0 0 1W 6 *",
         "2025-05-01T00:00:00Z",
         {"2025-06-02T00:00:00+00:00"}},
        {"croner 31W on a Sunday",
         "0 0 0 31W 8 *",
         "2025-08-01T00:00:00Z",
         {"2025-08-29T00:00:00+00:00"}},
        {"croner lowercase lw",
         "0 0 lw * *",
         "2024-01-01T00:00:00Z",
         {"2024-01-31T00:00:00+00:00"}},
        {"croner lowercase w",
         "0 0 0 15w 7 *",
         "2025-07-01T00:00:00Z",
         {"2025-07-15T00:00:00+00:00"}},
        // quartz-scheduler/quartz CronExpressionTest.java testLastDayOffset: Quartz's "? 2010"
        // (day-of-week unset, year 2010) is "?" here, with the search starting in October 2010.
        {"quartz L-2", "0 15 10 L-2 * ?", "2010-10-01T00:00:00Z", {"2010-10-29T10:15:00+00:00"}},
        {"quartz L-1", "0 15 10 L-1 * ?", "2010-10-01T00:00:00Z", {"2010-10-30T10:15:00+00:00"}},
        {"quartz L-5W", "0 15 10 L-5W * ?", "2010-10-01T00:00:00Z", {"2010-10-26T10:15:00+00:00"}},
        {"quartz L-1W (the 30th is a Saturday)",
         "0 15 10 L-1W * ?",
         "2010-10-01T00:00:00Z",
         {"2010-10-29T10:15:00+00:00"}},
        // robfig/cron spec_test.go (bc59245), TestNext: February 29th, from 2012-07-09 23:35.
        {"robfig 29 Feb ?",
         "0 0 0 29 Feb ?",
         "2012-07-09T23:35:00Z",
         {"2016-02-29T00:00:00+00:00"}},
    };
    check_vectors(vectors);
}

TEST_CASE("cron: nL, DAYL, d#n and d#L in the day-of-week field", "[schedule][cron]") {
    const Vector vectors[] = {
        // cuu508/cronsim tests/test_cronsim.py (fd2e617), TestIterator.
        {"cronsim test_it_handles_last_friday",
         "1 1 * * 5L",
         "2020-01-01T00:00:00Z",
         {"2020-01-31T01:01:00+00:00", "2020-02-28T01:01:00+00:00", "2020-03-27T01:01:00+00:00",
          "2020-04-24T01:01:00+00:00", "2020-05-29T01:01:00+00:00", "2020-06-26T01:01:00+00:00",
          "2020-07-31T01:01:00+00:00", "2020-08-28T01:01:00+00:00", "2020-09-25T01:01:00+00:00",
          "2020-10-30T01:01:00+00:00", "2020-11-27T01:01:00+00:00", "2020-12-25T01:01:00+00:00"}},
        {"cronsim last Sunday as 0L",
         "1 1 * * 0L",
         "2020-01-01T00:00:00Z",
         {"2020-01-26T01:01:00+00:00"}},
        {"cronsim last Sunday as 7L",
         "1 1 * * 7L",
         "2020-01-01T00:00:00Z",
         {"2020-01-26T01:01:00+00:00"}},
        {"cronsim test_it_handles_nth_weekday",
         "1 1 * * 1#2",
         "2020-01-01T00:00:00Z",
         {"2020-01-13T01:01:00+00:00"}},
        // kiorky/croniter src/croniter/tests/test_croniter.py (d813502). croniter writes the last
        // weekday L5; tasksrun, as Quartz and cronsim, 5L.
        {"croniter testNthWeekDay sat#1",
         "0 0 * * sat#1",
         "2010-02-25T00:00:00Z",
         {"2010-03-06T00:00:00+00:00", "2010-04-03T00:00:00+00:00"}},
        {"croniter testNthWeekDay wed#5",
         "0 0 * * wed#5",
         "2010-01-25T00:00:00Z",
         {"2010-03-31T00:00:00+00:00", "2010-06-30T00:00:00+00:00", "2010-09-29T00:00:00+00:00"}},
        {"croniter test_lwom_friday (L5)",
         "0 0 * * 5L",
         "1987-01-15T00:00:00Z",
         {"1987-01-30T00:00:00+00:00", "1987-02-27T00:00:00+00:00", "1987-03-27T00:00:00+00:00",
          "1987-04-24T00:00:00+00:00", "1987-05-29T00:00:00+00:00", "1987-06-26T00:00:00+00:00",
          "1987-07-31T00:00:00+00:00", "1987-08-28T00:00:00+00:00", "1987-09-25T00:00:00+00:00",
          "1987-10-30T00:00:00+00:00", "1987-11-27T00:00:00+00:00", "1987-12-25T00:00:00+00:00"}},
        {"croniter test_lwom_friday_2xh_2xm (L5)",
         "0,30 1,5 * * 5L",
         "1987-01-15T00:00:00Z",
         {"1987-01-30T01:00:00+00:00", "1987-01-30T01:30:00+00:00", "1987-01-30T05:00:00+00:00",
          "1987-01-30T05:30:00+00:00", "1987-02-27T01:00:00+00:00"}},
        {"croniter test_lwom_tue_thu (L2,L4)",
         "0 0 * * 2L,4L",
         "2016-06-01T00:00:00Z",
         {"2016-06-28T00:00:00+00:00", "2016-06-30T00:00:00+00:00", "2016-07-26T00:00:00+00:00",
          "2016-07-28T00:00:00+00:00", "2016-08-25T00:00:00+00:00", "2016-08-30T00:00:00+00:00",
          "2016-09-27T00:00:00+00:00", "2016-09-29T00:00:00+00:00", "2016-10-25T00:00:00+00:00",
          "2016-10-27T00:00:00+00:00"}},
        {"croniter test_hash_mixup_all_fri_3rd_sat, cron_a",
         "0 0 * * 6#3",
         "2021-03-01T00:00:00Z",
         {"2021-03-20T00:00:00+00:00"}},
        // croniter refuses "5,6#3" and "5,L6"; tasksrun takes them as the union its test expects.
        {"croniter test_hash_mixup_all_fri_3rd_sat, cron_c",
         "0 0 * * 5,6#3",
         "2021-03-01T00:00:00Z",
         {"2021-03-05T00:00:00+00:00", "2021-03-12T00:00:00+00:00", "2021-03-19T00:00:00+00:00",
          "2021-03-20T00:00:00+00:00", "2021-03-26T00:00:00+00:00"}},
        {"croniter test_lwom_mixup_all_fri_last_sat, cron_c (5,L6)",
         "0 0 * * 5,6L",
         "2021-03-01T00:00:00Z",
         {"2021-03-05T00:00:00+00:00", "2021-03-12T00:00:00+00:00", "2021-03-19T00:00:00+00:00",
          "2021-03-26T00:00:00+00:00", "2021-03-27T00:00:00+00:00"}},
        {"croniter test_lwom_mixup_firstlast_sat (L6,6#1)",
         "0 0 * * 6L,6#1",
         "2021-03-01T00:00:00Z",
         {"2021-03-06T00:00:00+00:00", "2021-03-27T00:00:00+00:00", "2021-04-03T00:00:00+00:00",
          "2021-04-24T00:00:00+00:00", "2021-05-01T00:00:00+00:00", "2021-05-29T00:00:00+00:00"}},
        {"croniter test_lwom_mixup_4th_and_last (1#4,L1)",
         "0 0 * * 1#4,1L",
         "2021-11-01T00:00:00Z",
         {"2021-11-22T00:00:00+00:00", "2021-11-29T00:00:00+00:00", "2021-12-27T00:00:00+00:00",
          "2022-01-24T00:00:00+00:00", "2022-01-31T00:00:00+00:00"}},
        // Hexagon/croner test/pattern.test.ts (713ee72).
        {"croner SUN#L", "0 0 0 * 2 SUN#L", "2023-12-30T00:00:00Z", {"2024-02-25T00:00:00+00:00"}},
        {"croner THU#L", "0 0 0 * 2 THU#L", "2023-12-30T00:00:00Z", {"2024-02-29T00:00:00+00:00"}},
        {"croner FRI#L", "0 0 0 * 2 FRI#L", "2023-12-30T00:00:00Z", {"2024-02-23T00:00:00+00:00"}},
        {"croner THU-FRI#L",
         "0 0 0 * 2 THU-FRI#L",
         "2023-12-30T00:00:00Z",
         {"2024-02-23T00:00:00+00:00"}},
        {"croner SAT-SUN#L,SUN#1",
         "0 0 0 * * SAT-SUN#L,SUN#1",
         "2023-08-09T23:16:19Z",
         {"2023-08-26T00:00:00+00:00", "2023-08-27T00:00:00+00:00", "2023-09-03T00:00:00+00:00",
          "2023-09-24T00:00:00+00:00", "2023-09-30T00:00:00+00:00"}},
        {"croner SUN-MON#3,MON-TUE#1",
         "0 0 0 * * SUN-MON#3,MON-TUE#1",
         "2023-08-09T23:16:19Z",
         {"2023-08-20T00:00:00+00:00", "2023-08-21T00:00:00+00:00", "2023-09-04T00:00:00+00:00",
          "2023-09-05T00:00:00+00:00"}},
        {"croner fril", "0 0 * * fril", "2024-01-01T00:00:00Z", {"2024-01-26T00:00:00+00:00"}},
    };
    check_vectors(vectors);
}

TEST_CASE("cron: the extensions combine with cron's day-of-month/day-of-week rule",
          "[schedule][cron]") {
    const Vector vectors[] = {
        // cuu508/cronsim tests/test_cronsim.py (fd2e617): "*/7" and "*/100" start with '*', so
        // the other field must match too: the first Sunday, the first Monday.
        {"cronsim test_it_handles_dow_star",
         "1 1 1-7 * */7",
         "2020-01-01T00:00:00Z",
         {"2020-01-05T01:01:00+00:00", "2020-02-02T01:01:00+00:00", "2020-03-01T01:01:00+00:00",
          "2020-04-05T01:01:00+00:00"}},
        {"cronsim test_it_handles_dom_star",
         "1 1 */100,1-7 * MON",
         "2020-01-01T00:00:00Z",
         {"2020-01-06T01:01:00+00:00", "2020-02-03T01:01:00+00:00", "2020-03-02T01:01:00+00:00",
          "2020-04-06T01:01:00+00:00"}},
        {"cronsim test_it_handles_every_x_weekdays",
         "1 1 * * */3",
         "2020-01-01T00:00:00Z",
         {"2020-01-01T01:01:00+00:00", "2020-01-04T01:01:00+00:00", "2020-01-05T01:01:00+00:00",
          "2020-01-08T01:01:00+00:00"}},
        // kiorky/croniter test_croniter.py (d813502) testDomDowVixieCronBug: "*/2" starts with
        // '*', so Vixie cron (and tasksrun) fire on odd days that are Saturdays, the vector
        // croniter checks with implement_cron_bug=True.
        {"croniter testDomDowVixieCronBug",
         "0 16 */2 * sat",
         "2023-05-02T00:00:00Z",
         {"2023-05-13T16:00:00+00:00", "2023-05-27T16:00:00+00:00", "2023-06-03T16:00:00+00:00",
          "2023-06-17T16:00:00+00:00"}},
        {"croniter test_question_mark",
         "0 0 1 * ?",
         "2010-08-25T15:56:00Z",
         {"2010-09-01T00:00:00+00:00"}},
        // Both restricted: the last day of the month or any Friday. June 2025: Fridays 6, 13,
        // 20, 27 and the 30th.
        {"tasksrun L or FRI",
         "0 9 L * FRI",
         "2025-06-01T00:00:00Z",
         {"2025-06-06T09:00:00+00:00", "2025-06-13T09:00:00+00:00", "2025-06-20T09:00:00+00:00",
          "2025-06-27T09:00:00+00:00", "2025-06-30T09:00:00+00:00"}},
        // "?" makes FRI#2 decide alone; "*" does the same.
        {"tasksrun ? with FRI#2",
         "0 9 ? * FRI#2",
         "2025-06-01T00:00:00Z",
         {"2025-06-13T09:00:00+00:00", "2025-07-11T09:00:00+00:00"}},
        {"tasksrun * with FRI#2",
         "0 9 * * FRI#2",
         "2025-06-01T00:00:00Z",
         {"2025-06-13T09:00:00+00:00", "2025-07-11T09:00:00+00:00"}},
        // Both restricted: the 15th's nearest weekday, or the last Monday.
        {"tasksrun 15W or MONL",
         "0 8 15W * MONL",
         "2025-06-01T00:00:00Z",
         {"2025-06-16T08:00:00+00:00", "2025-06-30T08:00:00+00:00", "2025-07-15T08:00:00+00:00",
          "2025-07-28T08:00:00+00:00"}},
    };
    check_vectors(vectors);
    // robfig/cron spec_test.go (bc59245) TestActivation: "?" leaves the other day field alone.
    const auto at_local = [](int y, unsigned m, unsigned d, int h, int min) {
        return date::local_days{date::year{y} / m / d} + std::chrono::hours{h} +
               std::chrono::minutes{min};
    };
    CHECK(CronExpression::parse("30 08 ? Jul Sun")->matches(at_local(2012, 7, 15, 8, 30)));
    CHECK_FALSE(CronExpression::parse("30 08 ? Jul Sun")->matches(at_local(2012, 7, 16, 8, 30)));
    CHECK(CronExpression::parse("30 08 15 Jul ?")->matches(at_local(2012, 7, 15, 8, 30)));
    CHECK_FALSE(CronExpression::parse("30 08 15 Jul ?")->matches(at_local(2012, 7, 16, 8, 30)));
}

TEST_CASE("cron: ranges wrap around in every field", "[schedule][cron]") {
    // 2025-06-04 is a Wednesday.
    CHECK(utc_firings("0 0 * * FRI-MON", "2025-06-04T00:00:00Z", 5) ==
          Firings{"2025-06-06T00:00:00+00:00", "2025-06-07T00:00:00+00:00",
                  "2025-06-08T00:00:00+00:00", "2025-06-09T00:00:00+00:00",
                  "2025-06-13T00:00:00+00:00"});
    // Saturday to Sunday, whichever number Sunday is given.
    for (const char* weekend :
         {"0 0 * * SAT-SUN", "0 0 * * Sat-Sun", "0 0 * * 6-7", "0 0 * * 6-0", "0 0 * * 6,0"}) {
        INFO(weekend);
        CHECK(utc_firings(weekend, "2025-06-04T00:00:00Z", 3) ==
              Firings{"2025-06-07T00:00:00+00:00", "2025-06-08T00:00:00+00:00",
                      "2025-06-14T00:00:00+00:00"});
    }
    // Every other day from Friday to Monday: Friday and Sunday.
    CHECK(utc_firings("0 0 * * FRI-MON/2", "2025-06-04T00:00:00Z", 3) ==
          Firings{"2025-06-06T00:00:00+00:00", "2025-06-08T00:00:00+00:00",
                  "2025-06-13T00:00:00+00:00"});
    CHECK(utc_firings("0 0 1 NOV-FEB *", "2025-06-01T00:00:00Z", 5) ==
          Firings{"2025-11-01T00:00:00+00:00", "2025-12-01T00:00:00+00:00",
                  "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00",
                  "2026-11-01T00:00:00+00:00"});
    CHECK(utc_firings("0 22-1 * * *", "2025-06-01T12:00:00Z", 4) ==
          Firings{"2025-06-01T22:00:00+00:00", "2025-06-01T23:00:00+00:00",
                  "2025-06-02T00:00:00+00:00", "2025-06-02T01:00:00+00:00"});
    // The step carries across the wrap: 50, 55, 0, 5, 10.
    CHECK(utc_firings("50-10/5 8 * * *", "2025-06-01T08:40:00Z", 5) ==
          Firings{"2025-06-01T08:50:00+00:00", "2025-06-01T08:55:00+00:00",
                  "2025-06-02T08:00:00+00:00", "2025-06-02T08:05:00+00:00",
                  "2025-06-02T08:10:00+00:00"});
    // The last days of one month and the first of the next.
    CHECK(utc_firings("0 0 30-2 * *", "2025-06-01T12:00:00Z", 4) ==
          Firings{"2025-06-02T00:00:00+00:00", "2025-06-30T00:00:00+00:00",
                  "2025-07-01T00:00:00+00:00", "2025-07-02T00:00:00+00:00"});
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
        {"0 9 * * MON-FRY", "day-of-week field: unknown name \"FRY\"; did you mean \"FRI\"?", 12},
        {"0 9 * JUNE *", "month field: unknown name \"JUNE\"; did you mean \"JUN\"?", 6},
        {"*/0 * * * *", "minute field: step \"0\" must be a positive number", 2},
        {"1,,2 * * * *", "minute field: empty list item", 2},
        {"x * * * *", "minute field: \"x\" is not a number", 0},
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
        {"@reboot", "@reboot is not a calendar schedule: it fires when the task starts", 0},
        {"@every 5m",
         "unknown macro \"@every 5m\" (use @hourly, @daily, @weekly, @monthly, @yearly or @reboot)",
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

// What CronExpression::parse refuses in the extended dialect, and how H picks its values.
#include <catch2/catch.hpp>
#include <set>

#include "schedule/cron.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

struct BadCron {
    const char* origin;
    const char* expression;
    const char* message;
    std::size_t offset;
};

TEST_CASE("cron parse: malformed extensions say what and where", "[schedule][cron]") {
    const BadCron cases[] = {
        {"week out of range", "0 0 * * FRI#6",
         "day-of-week field: week \"6\" after # must be 1-5 or L (the last)", 12},
        // cuu508/cronsim tests/test_cronsim.py (fd2e617) test_it_rejects_zero_nth, _big_nth.
        {"cronsim 1#0", "* * * * 1#0",
         "day-of-week field: week \"0\" after # must be 1-5 or L (the last)", 10},
        {"cronsim 1#6", "* * * * 1#6",
         "day-of-week field: week \"6\" after # must be 1-5 or L (the last)", 10},
        {"cronsim 2#", "* * * * 2#",
         "day-of-week field: week \"\" after # must be 1-5 or L (the last)", 10},
        {"cronsim #2", "* * * * #2", "day-of-week field: missing value", 8},
        {"cronsim 5L-6", "* * * * 5L-6", "day-of-week field: \"5L\" is not a number", 8},
        {"cronsim 5L#1", "* * * * 5L#1", "day-of-week field: \"5L\" is not a number", 8},
        {"cronsim 5L/3", "* * * * 5L/3", "day-of-week field: \"5L\" is not a number", 8},
        {"cronsim LL", "* * LL * *", "day-of-month field: \"LL\" is not L, L-n, LW or L-nW", 4},
        {"cronsim LWX", "* * LWX * *", "day-of-month field: \"LWX\" is not L, L-n, LW or L-nW", 4},
        // cronsim accepts L/2 and drops the step; a step on one day is an error here.
        {"cronsim L/2", "* * L/2 * *", "day-of-month field: a step does not apply to \"L\"", 5},
        // quartz-scheduler/quartz CronExpressionTest.java testQtz96: "0/5 * * 32W 1 ?".
        {"quartz 32W", "0/5 * * 32W 1 ?", "day-of-month field: 32 is out of range 1-31", 8},
        {"L-n out of range", "0 0 L-40 * *",
         "day-of-month field: \"L-40\": the days before the last must be 0-30", 6},
        // kiorky/croniter test_croniter.py (d813502) test_nth_out_of_range, _last_out_of_range.
        {"croniter 1#7", "0 0 * * 1#7",
         "day-of-week field: week \"7\" after # must be 1-5 or L (the last)", 10},
        {"croniter L-1 in day-of-week", "0 0 * * L-1",
         "day-of-week field: \"L-1\": write the weekday before L, as in 5L or FRIL (the last "
         "Friday of the month)",
         8},
        {"croniter L8", "0 0 * * L8",
         "day-of-week field: \"L8\": write the weekday before L, as in 5L or FRIL (the last "
         "Friday of the month)",
         8},
        // Hexagon/croner test/pattern.test.ts (713ee72): W in the minute or day-of-week field,
        // W after a range.
        {"croner 15W in minutes", "0 15W * * * *",
         "minute field: \"15W\" belongs in the day-of-month or day-of-week field", 2},
        {"croner 2W in day-of-week", "0 0 * * * 2W",
         "day-of-week field: \"W\" (the nearest weekday) belongs in the day-of-month field", 10},
        {"croner 15W-20", "0 0 0 15W-20 * *",
         "day-of-month field: \"15W-20\": W follows one day, as in 15W or LW", 6},
        {"? outside the day fields", "0 ? * * *",
         "hour field: \"?\" belongs in the day-of-month or day-of-week field", 2},
        {"L in the month field", "0 0 * L *",
         "month field: \"L\" belongs in the day-of-month or day-of-week field", 6},
        {"# in day-of-month", "0 0 5#2 * *",
         "day-of-month field: \"#\" (the n-th weekday) belongs in the day-of-week field", 5},
        {"L on a weekday range", "0 0 * * MON-FRIL",
         "day-of-week field: \"MON-FRIL\": L follows one weekday, as in 5L or FRIL", 8},
        {"lower case, quoted as written", "0 0 * * fri#9",
         "day-of-week field: week \"9\" after # must be 1-5 or L (the last)", 12},
        {"H range backwards", "H(50-10) * * * *", "minute field: H range \"50-10\" runs backwards",
         2},
        {"H range unclosed", "H(0-29 * * * *", "minute field: H takes a range as H(a-b)", 1},
        {"H range out of the field", "0 H(0-24) * * *", "hour field: 24 is out of range 0-23", 6},
        {"H and junk", "Hx * * * *", "minute field: H is written H, H(a-b), H/n or H(a-b)/n", 1},
        {"H step 0", "H/0 * * * *", "minute field: step \"0\" must be a positive number", 2},
        // cuu508/cronsim test_it_handles_no_matches: the 1st that is also the 4th Monday.
        {"cronsim */100 with MON#4", "1 1 */100 * MON#4",
         "this expression never fires: no selected month has the selected days", 4},
        {"30W in February", "0 0 30W 2 *",
         "this expression never fires: no selected month has the selected days", 4},
        {"L-30 in February", "0 0 L-30 2 *",
         "this expression never fires: no selected month has the selected days", 4},
    };
    for (const BadCron& c : cases) {
        INFO(c.origin << ": " << c.expression);
        const auto parsed = CronExpression::parse(c.expression);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().message == c.message);
        CHECK(parsed.error().offset == c.offset);
    }
}

TEST_CASE("cron parse: forms other libraries refuse are accepted here", "[schedule][cron]") {
    // cuu508/cronsim test_it_rejects_lopsided_range ("5-1"), croner range.test.ts "12-2" and
    // cronsim test_it_rejects_symbolic_dow_l ("MONL"): wrap-around ranges and DAYL are part of
    // the dialect. quartz CronExpressionTest testQuartz640 ("1,5,29,L"): L mixes with days.
    for (const char* expression :
         {"* * 5-1 * *", "* 12-2 * * * *", "* * * * MONL", "0 43 9 1,5,29,L * ?"}) {
        INFO(expression);
        CHECK(CronExpression::parse(expression).has_value());
    }
}

// The documented hash: FNV-1a (64-bit) of the task name, plus 8 * (the item's place in its list)
// + the field's place (0 seconds ... 5 day-of-week), through SplitMix64. Written out here from
// that description, so that a change to the algorithm, which would move every H task, shows.
std::uint64_t documented_hash(std::string_view name, unsigned field, unsigned item) {
    std::uint64_t h = 0xcbf29ce484222325;
    for (const char c : name) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3;
    }
    std::uint64_t x = h + 8 * item + field + 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

date::local_seconds first_match(const CronExpression& cron) {
    const date::local_seconds from{date::local_days{date::year{2025} / 1 / 1}};
    const auto match = cron.next_match(from, from + date::years{1});
    REQUIRE(match.has_value());
    return *match;
}

TEST_CASE("cron parse: H is the documented hash of the task name", "[schedule][cron]") {
    for (const std::string name : {"backup", "standup", "report.weekly", ""}) {
        INFO(name);
        const auto cron = CronExpression::parse("H H * * *", name);
        REQUIRE(cron.has_value());
        const date::local_seconds first = first_match(*cron);
        const auto minute = documented_hash(name, 1, 0) % 60;
        const auto hour = documented_hash(name, 2, 0) % 24;
        CHECK(first == date::local_days{date::year{2025} / 1 / 1} + std::chrono::hours{hour} +
                           std::chrono::minutes{minute});
        // The same name gives the same value, every time.
        CHECK(first_match(*CronExpression::parse("H H * * *", name)) == first);
        // H H is a fixed time of day.
        CHECK(cron->is_fixed_time());
    }
}

TEST_CASE("cron parse: H, H(a-b), H/n and H(a-b)/n stay in their ranges", "[schedule][cron]") {
    std::set<std::pair<unsigned, unsigned>> times;
    for (int i = 0; i < 200; ++i) {
        const std::string name = "task-" + std::to_string(i);
        INFO(name);
        const auto every_15 = CronExpression::parse("H/15 * * * *", name);
        REQUIRE(every_15.has_value());
        const date::local_seconds first = first_match(*every_15);
        const auto minute = date::hh_mm_ss{first - date::floor<date::days>(first)}.minutes();
        CHECK(minute < 15min);
        CHECK(minute.count() == static_cast<long>(documented_hash(name, 1, 0) % 15));
        CHECK(every_15->next_match(first + 1s, first + 1h) == first + 15min);

        const auto half = CronExpression::parse("H(0-29) H(9-17) * * *", name);
        REQUIRE(half.has_value());
        const date::hh_mm_ss tod{first_match(*half) - date::local_days{date::year{2025} / 1 / 1}};
        CHECK(tod.minutes() < 30min);
        CHECK(tod.hours() >= 9h);
        CHECK(tod.hours() <= 17h);
        times.emplace(tod.hours().count(), tod.minutes().count());

        // A bare H in day-of-month stays within the days every month has.
        const auto monthly = CronExpression::parse("0 0 H * *", name);
        REQUIRE(monthly.has_value());
        const auto day = date::year_month_day{date::floor<date::days>(first_match(*monthly))}.day();
        CHECK(day >= date::day{1});
        CHECK(day <= date::day{28});

        // A step wider than its range still leaves a value in the range.
        const auto wide = CronExpression::parse("H(0-5)/10 * * * *", name);
        REQUIRE(wide.has_value());
        CHECK(date::hh_mm_ss{first_match(*wide) - date::floor<date::days>(first_match(*wide))}
                  .minutes() <= 5min);
    }
    // 200 names over 9 x 30 = 270 times of day: a uniform pick gives about 141 distinct ones
    // (270 (1 - (1 - 1/270)^200)); bunched values would give far fewer.
    CHECK(times.size() > 120);
}

}  // namespace
}  // namespace tasksrun

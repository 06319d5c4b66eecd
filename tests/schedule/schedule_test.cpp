#include "schedule/schedule.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("schedule: describe says what each kind is", "[schedule]") {
    CHECK(Schedule(IntervalSchedule(90s)).describe() == "every 1m30s");
    CHECK(Schedule(StartupSchedule{}).describe() == "cron \"@reboot\"");
    CHECK(Schedule(WallClockSchedule(*CronExpression::parse("0 9 * * FRI#2"),
                                     test::zone("Europe/Berlin"), {}))
              .describe() == "cron \"0 9 * * FRI#2\" (Europe/Berlin)");
    CHECK(Schedule(WallClockSchedule(TimesOfDay({9h, 17h + 30s}), Zone::utc(), {},
                                     {ZonedTimes{TimesOfDay({9h}), test::zone("Asia/Tokyo")}}))
              .describe() == "at 09:00, 17:00:30 (UTC); 09:00 (Asia/Tokyo)");
}

TEST_CASE("schedule: @reboot has no slot after any instant", "[schedule]") {
    const Schedule reboot{StartupSchedule{}};
    CHECK(reboot.at_startup());
    CHECK(reboot.wall_clock() == nullptr);
    CHECK(reboot.interval() == nullptr);
    CHECK_FALSE(
        reboot.next_after(test::at("2025-06-01T00:00:00Z"), test::at("2025-06-01T00:00:00Z"))
            .has_value());
}

// Every task holds its schedule a few times over (its config, its Loop), and 10,000 idle tasks
// must stay within their memory budget: the extended dialect must not make a schedule bigger
// than it was before it (152 bytes).
TEST_CASE("schedule: a schedule stays small", "[schedule]") {
    CHECK(sizeof(Schedule) <= 128);
    CHECK(sizeof(CronExpression) <= 80);
}

}  // namespace
}  // namespace tasksrun

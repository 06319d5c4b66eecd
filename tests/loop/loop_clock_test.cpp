// The Loop when the wall clock steps (SPEC 11): NTP, a person with `date -s` or a VM resume.
// An interval's grid, retries and jitter live on the monotonic clock and do not move; time and
// cron slots follow the wall clock: none fires twice, none early.
#include <catch2/catch.hpp>

#include "loop/loop.hpp"
#include "support/loop_driver.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using namespace test;

LoopSettings cron(const char* expression) {
    return LoopSettings{.schedule = Schedule(WallClockSchedule(*CronExpression::parse(expression),
                                                               Zone::utc(), {}))};
}

TEST_CASE("loop clock: an interval's timer is monotonic, so a step back stalls nothing",
          "[loop][clock]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.clear();
    const auto armed = [&] {
        for (const Command& c : d.out) {
            if (const auto* a = std::get_if<ArmTimer>(&c)) return a->at;
        }
        FAIL("no timer armed");
        return TimerDeadline{};
    };
    d.fire_slot(kT0 + 10s);
    REQUIRE(std::holds_alternative<MonoInstant>(armed()));  // armed on the monotonic clock
    d.finish(1, success(), kT0 + 11s);

    d.step_wall(-1h);  // the wall clock now reads an hour earlier
    d.clear();
    // The monotonic timer fires 10 s later, while the wall clock reads t0 + 20 s - 1 h.
    d.fire_slot(kT0 + 20s - 1h);
    REQUIRE(d.starts().size() == 1);                   // on time: not re-armed for an hour
    CHECK(d.starts()[0].scheduled == kT0 + 20s - 1h);  // labelled with the wall clock as it is
    CHECK(d.armed_slot() == kT0 + 30s - 1h);
}

TEST_CASE("loop clock: a step forward runs an interval's next slot on time, not at once",
          "[loop][clock]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.step_wall(2h);
    d.clear();
    d.fire_slot(kT0 + 2h + 9s);  // the wall clock has jumped; the grid has not
    CHECK(d.starts().empty());
    d.fire_slot(kT0 + 2h + 10s);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.events() == std::vector<std::string>{"iteration_start"});  // no misfire, no burst
}

TEST_CASE("loop clock: retries wait on the monotonic clock", "[loop][clock]") {
    Driver d(every(1h));
    d.start(kT0);
    d.fire_slot(kT0);
    Outcome limited = kNetworkError;
    limited.retry_after = 5s;
    d.finish(0, limited, kT0 + 1s);
    d.step_wall(-1h);
    d.clear();
    d.fire_retry(0, kT0 + 6s - 1h);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].attempt == 2U);
}

TEST_CASE("loop clock: cron after a step back waits for its next slot: none fires twice",
          "[loop][clock]") {
    Driver d(cron("*/10 * * * *"));
    const Instant noon = at("2025-01-01T12:00:00Z");
    d.start(noon - 1s);
    d.fire_slot(noon);
    d.finish(0, success(), noon + 1s);
    CHECK(d.armed_slot() == noon + 10min);  // a wall-clock deadline
    d.step_wall(-1h);
    d.clear();
    // A wall-clock timer fires when the wall clock reaches its slot; firing earlier (the
    // timer's old idea of the time) is early and re-arms for the same slot.
    d.fire_slot(noon - 50min);
    CHECK(d.starts().empty());
    CHECK(d.armed_slot() == noon + 10min);
    d.fire_slot(noon + 10min);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].scheduled == noon + 10min);
}

TEST_CASE("loop clock: cron after a 2 h jump forward runs once and skips the rest",
          "[loop][clock]") {
    Driver d(cron("*/10 * * * *"));
    const Instant noon = at("2025-01-01T12:00:00Z");
    d.start(noon - 1s);
    d.fire_slot(noon);
    d.finish(0, success(), noon + 1s);
    d.step_wall(2h);
    d.clear();
    d.fire_slot(noon + 2h + 3s);  // the slot at 12:10 is due at once, 11 others passed
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].scheduled == noon + 10min);
    CHECK(d.last_record("misfire") != nullptr);
    CHECK(d.armed_slot() == noon + 2h + 10min);  // the next slot of the new wall time
}

TEST_CASE("loop clock: the next slot's label does not flicker with clock readings",
          "[loop][clock]") {
    Driver d(every(10s));
    d.start(kT0);
    const Now exact = d.now(kT0);
    // The same moment read with the wall clock a few microseconds off: the label is steady.
    const Now jittered{exact.wall + 3us, exact.mono};
    CHECK(d.loop.next_iteration(exact) == d.loop.next_iteration(jittered));
}

}  // namespace
}  // namespace tasksrun

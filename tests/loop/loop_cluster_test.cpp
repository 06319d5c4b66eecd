// The Loop in cluster mode (SPEC 14): an interval's grid from the Unix epoch, every due slot
// claimed before it runs, retries under the same claim, a database that does not answer.
#include <catch2/catch.hpp>

#include "loop/loop.hpp"
#include "support/loop_driver.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using namespace test;

LoopSettings clustered(Duration period, Duration offset = Duration::zero()) {
    LoopSettings settings = every(period);
    settings.epoch_offset = offset;
    settings.claim_slots = true;
    return settings;
}

std::vector<Instant> claims(const Driver& d) {
    std::vector<Instant> slots;
    for (const Command& c : d.out) {
        if (const auto* claim = std::get_if<ClaimSlot>(&c)) slots.push_back(claim->slot);
    }
    return slots;
}

// Started at t0 + 1s, the loop has won the 10 s slot (fence 41) and runs it.
void run_won_slot(Driver& d) {
    d.start(kT0 + 1s);
    d.fire_slot(kT0 + 10s);
    REQUIRE(d.loop.slot_claimed(kT0 + 10s, ClaimResult::won, 41, d.now(kT0 + 10s), d.out));
}

TEST_CASE("loop cluster: an interval's grid lies on the epoch, whenever a replica starts",
          "[loop][cluster]") {
    // Replicas starting at different moments compute the same slots: multiples of 10 s (plus
    // the offset), on the wall clock; run_at_start does not apply.
    for (const Duration started : {Duration{3s}, Duration{7s}}) {
        Driver d(clustered(10s, 2s));
        d.start(kT0 + started);
        CHECK(d.armed_slot() == kT0 + 12s);
    }
    Driver d(clustered(10s));
    d.start(kT0 + 3s);
    const auto deadline = [&] {
        for (const Command& c : d.out) {
            if (const auto* a = std::get_if<ArmTimer>(&c)) return a->at;
        }
        return TimerDeadline{};
    }();
    CHECK(std::holds_alternative<Instant>(deadline));  // the wall clock: what replicas share
}

TEST_CASE("loop cluster: a due slot is claimed, and runs only where it was won",
          "[loop][cluster]") {
    Driver d(clustered(10s));
    d.start(kT0 + 1s);
    d.clear();
    d.fire_slot(kT0 + 10s);
    CHECK(d.starts().empty());
    CHECK(claims(d) == std::vector<Instant>{kT0 + 10s});
    CHECK(d.armed_slot() == kT0 + 20s);  // the schedule goes on meanwhile
    d.clear();
    REQUIRE(d.loop.slot_claimed(kT0 + 10s, ClaimResult::won, 41, d.now(kT0 + 10s), d.out));
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].claim == SlotClaim{kT0 + 10s, 41});
    CHECK(d.starts()[0].scheduled == kT0 + 10s);

    // A retry stays on this replica, under the same claim.
    d.finish(0, kNetworkError, kT0 + 11s);
    const Instant retry_at = *d.armed({TimerKey::Kind::retry, 0});
    d.clear();
    d.fire_retry(0, retry_at);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].claim == SlotClaim{kT0 + 10s, 41});
    d.clear();
    d.finish(0, success(), retry_at + 1s);
    REQUIRE(d.records().size() == 1);
    CHECK(d.records()[0].claim == SlotClaim{kT0 + 10s, 41});

    // Taken by another replica: nothing runs here.
    d.fire_slot(kT0 + 20s);
    d.clear();
    CHECK_FALSE(d.loop.slot_claimed(kT0 + 20s, ClaimResult::taken, 0, d.now(kT0 + 20s), d.out));
    CHECK(d.starts().empty());
    CHECK(d.loop.state() == LoopState::waiting);
}

TEST_CASE("loop cluster: a retry refused because the slot was taken over ends saying why",
          "[loop][cluster]") {
    Driver d(clustered(10s));
    run_won_slot(d);
    d.finish(0, kNetworkError, kT0 + 11s);
    const Instant retry_at = *d.armed({TimerKey::Kind::retry, 0});
    d.fire_retry(0, retry_at);
    d.clear();
    // The runner heard from the database that the claim is gone: the attempt never ran.
    d.finish(0, Outcome{.error = "not run: taken over by replica b (fence 42)", .cancelled = true},
             retry_at);
    REQUIRE(d.records().size() == 1);
    CHECK(d.records()[0].status == RunStatus::cancelled);
    CHECK(d.records()[0].message == "cancelled: not run: taken over by replica b (fence 42)");
    CHECK(d.records()[0].claim == SlotClaim{kT0 + 10s, 41});
    CHECK(d.starts().empty());
}

TEST_CASE("loop cluster: a slot taken over while an iteration runs, runs when it ends",
          "[loop][cluster]") {
    Driver d(clustered(10s));
    run_won_slot(d);
    d.clear();
    // Another replica died running the 0 s slot; this one took it over, busy with its own.
    CHECK_FALSE(d.loop.run_taken_over(SlotClaim{kT0, 77}, d.now(kT0 + 12s), d.out));
    CHECK(d.starts().empty());
    CHECK(d.events() == std::vector<std::string>{"misfire"});
    // A second one cannot wait as well: it is refused, so the cluster can release it.
    CHECK(d.loop.run_taken_over(SlotClaim{kT0 + 1s, 78}, d.now(kT0 + 12s), d.out));
    d.clear();
    d.finish(0, success(), kT0 + 13s);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].claim == SlotClaim{kT0, 77});
    CHECK_FALSE(d.starts()[0].on_schedule);
    d.clear();
    d.finish(1, success(), kT0 + 14s);
    CHECK(d.starts().empty());  // nothing else waited
    REQUIRE(d.records().size() == 1);
    CHECK(d.records()[0].claim == SlotClaim{kT0, 77});
}

TEST_CASE("loop cluster: a slot taken over that waits is dropped when the loop stops",
          "[loop][cluster]") {
    Driver d(clustered(10s));
    run_won_slot(d);
    CHECK_FALSE(d.loop.run_taken_over(SlotClaim{kT0, 77}, d.now(kT0 + 12s), d.out));
    d.stop(kT0 + 12s);
    d.clear();
    d.finish(0, success(), kT0 + 13s);
    CHECK(d.starts().empty());
}

TEST_CASE("loop cluster: a changed interval's grid is the epoch's too", "[loop][cluster]") {
    // Two replicas that last ran different slots when the change reached them (one was busy,
    // or heard of it a second later) must still compute the same slots: 7 s from the epoch.
    // 2025-01-01 is 1 s past a multiple of 7 s since the epoch, so that grid is t0 - 1s + 7k.
    Driver a(clustered(10s));
    a.start(kT0 + 1s);
    a.fire_slot(kT0 + 10s);
    REQUIRE(a.loop.slot_claimed(kT0 + 10s, ClaimResult::won, 1, a.now(kT0 + 10s), a.out));
    a.finish(0, success(), kT0 + 11s);
    Driver b(clustered(10s));
    b.start(kT0 + 1s);
    b.fire_slot(kT0 + 10s);
    b.fire_slot(kT0 + 20s);
    for (Driver* d : {&a, &b}) {
        d->clear();
        d->change_schedule(Schedule(IntervalSchedule(7s)), kT0 + 21s);
        CHECK(d->armed_slot() == kT0 + 27s);
    }
}

TEST_CASE("loop cluster: a slot won after a stop does not run", "[loop][cluster]") {
    Driver d(clustered(10s));
    d.start(kT0 + 1s);
    d.fire_slot(kT0 + 10s);
    d.stop(kT0 + 10s);
    d.clear();
    CHECK_FALSE(d.loop.slot_claimed(kT0 + 10s, ClaimResult::won, 7, d.now(kT0 + 10s), d.out));
    CHECK(d.starts().empty());
}

TEST_CASE("loop cluster: when the database does not answer, the slot is a misfire",
          "[loop][cluster]") {
    SECTION("misfire = skip: it is skipped") {
        Driver d(clustered(10s));
        d.start(kT0 + 1s);
        d.fire_slot(kT0 + 10s);
        d.clear();
        d.loop.slot_claimed(kT0 + 10s, ClaimResult::unreachable, 0, d.now(kT0 + 10s), d.out);
        CHECK(d.last_record("misfire")->message ==
              "the cluster's database did not answer; skipped");
        d.clear();
        d.loop.retry_late(d.now(kT0 + 15s), d.out);
        CHECK(claims(d).empty());
    }
    SECTION("misfire = run-once: the latest such slot is claimed again once it answers") {
        LoopSettings settings = clustered(10s);
        settings.misfire_run_once = true;
        Driver d(settings);
        d.start(kT0 + 1s);
        for (const Duration slot : {Duration{10s}, Duration{20s}}) {
            d.fire_slot(kT0 + slot);
            d.loop.slot_claimed(kT0 + slot, ClaimResult::unreachable, 0, d.now(kT0 + slot), d.out);
        }
        d.clear();
        d.loop.retry_late(d.now(kT0 + 25s), d.out);
        CHECK(claims(d) == std::vector<Instant>{kT0 + 20s});
    }
}

TEST_CASE("loop cluster: a slot taken over from a dead replica runs now under its new claim",
          "[loop][cluster]") {
    Driver d(clustered(10s));
    d.start(kT0 + 1s);
    d.clear();
    CHECK_FALSE(d.loop.run_taken_over({kT0 - 10s, 99}, d.now(kT0 + 2s), d.out).has_value());
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].claim == SlotClaim{kT0 - 10s, 99});
    CHECK(d.starts()[0].scheduled == kT0 - 10s);
    CHECK_FALSE(d.starts()[0].on_schedule);
    CHECK(d.next_iteration() == kT0 + 10s);  // the schedule did not move
}

}  // namespace
}  // namespace tasksrun

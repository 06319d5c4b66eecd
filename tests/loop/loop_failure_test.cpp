// The Loop when things go wrong (SPEC 10.1, 10.2, 10.6): retries that end, a stop that stops,
// count with overlap, alerts that fit, and what history and pings are told.
#include <catch2/catch.hpp>

#include "loop/loop.hpp"
#include "support/loop_driver.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using namespace test;

// Runs iteration 0 of a started driver into backoff; returns when its retry is due.
Instant into_backoff(Driver& d, Instant at) {
    d.fire_slot(at);
    d.finish(0, kNetworkError, at + 1s);
    REQUIRE(d.loop.state() == LoopState::backoff);
    return *d.armed({TimerKey::Kind::retry, 0});
}

TEST_CASE("loop failures: stop while waiting to retry ends the iteration at once",
          "[loop][failures]") {
    LoopSettings settings = every(1h);
    settings.has_after_loop = true;
    Driver d(settings);
    d.start(kT0);
    const Instant retry_at = into_backoff(d, kT0);
    d.clear();

    d.stop(kT0 + 2s);
    CHECK(d.events() == std::vector<std::string>{"stop", "iteration_end", "after_loop"});
    CHECK(d.has(DisarmTimer{}));
    const auto records = d.records();
    REQUIRE(records.size() == 1);
    CHECK(records[0].status == RunStatus::stopped);
    CHECK(records[0].iteration == 0);
    CHECK(records[0].failure->kind == FailureKind::network);
    CHECK(records[0].elapsed == Duration{2s});
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::after_loop});
    CHECK(d.loop.state() == LoopState::after_loop);
    d.clear();

    d.fire_retry(0, retry_at);  // a timer that fired anyway starts nothing
    CHECK(d.starts().empty());
    d.hook_finished(HookKind::after_loop, success(), kT0 + 3s);
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop failures: an attempt that fails after a stop is not retried", "[loop][failures]") {
    LoopSettings settings = every(1h);
    settings.has_on_error = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.stop(kT0 + 1s);
    d.clear();

    d.finish(0, kNetworkError, kT0 + 2s);
    CHECK(d.events() ==
          std::vector<std::string>{"iteration_end", "error", "after_loop", "finished"});
    CHECK(d.last_record("error")->message == "it broke (not retried: the loop is stopping)");
    CHECK_FALSE(d.armed({TimerKey::Kind::retry, 0}).has_value());
    REQUIRE(d.records().size() == 1);
    CHECK(d.records()[0].status == RunStatus::failed);
    // The iteration did fail: whoever is paged for failures hears of it.
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_error});
}

TEST_CASE("loop failures: stop while before_loop waits to retry ends the loop at once",
          "[loop][failures]") {
    LoopSettings settings = every(1h);
    settings.has_before_loop = true;
    Driver d(settings);
    d.start(kT0);
    d.hook_finished(HookKind::before_loop, kNetworkError, kT0 + 1s);
    const auto retry_at = d.armed({TimerKey::Kind::hook_retry, 0});
    REQUIRE(retry_at.has_value());
    d.clear();

    d.stop(kT0 + 2s);
    CHECK(d.events() == std::vector<std::string>{"stop", "after_loop", "finished"});
    CHECK(d.loop.state() == LoopState::finished);
    d.clear();
    d.loop.timer_fired({TimerKey::Kind::hook_retry, 0}, d.now(*retry_at), d.out);
    CHECK(d.hooks().empty());
}

TEST_CASE("loop failures: retries end at max_retries and the failure becomes unhandled",
          "[loop][failures]") {
    LoopSettings settings = every(1h);
    settings.max_retries = 10;
    settings.has_on_error = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    Instant now = kT0;
    for (int retry = 0; retry < 10; ++retry) {
        d.finish(0, kNetworkError, now);
        REQUIRE(d.loop.state() == LoopState::backoff);
        now = *d.armed({TimerKey::Kind::retry, 0});
        d.clear();
        d.fire_retry(0, now);
        REQUIRE(d.starts().size() == 1);
    }
    d.clear();
    d.finish(0, kNetworkError, now + 1s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end", "error"});
    CHECK(d.last_record("error")->message == "it broke (gave up after 10 retries)");
    const HookContext context = d.hook_context(HookKind::on_error);
    CHECK(context.attempts == 11U);
    CHECK(context.loop == 0U);
    CHECK(context.outcome->failure->kind == FailureKind::network);
    CHECK(d.records().back().status == RunStatus::failed);
    CHECK(d.records().back().attempts == 11U);
}

TEST_CASE("loop failures: no retry waits less than 100 ms, whatever a server says",
          "[loop][failures]") {
    Driver d(every(1h));
    d.start(kT0);
    d.fire_slot(kT0);
    for (const Duration told : {Duration{0}, Duration{-5s}, Duration{30ms}}) {
        Outcome answer = kNetworkError;
        answer.retry_after = told;
        const Instant failed_at = d.next_iteration().value_or(kT0) - 1h + 5s;
        d.clear();
        d.finish(0, answer, failed_at);
        CHECK(d.last_record("retry")->delay == kMinRetryDelay);
        CHECK(d.armed({TimerKey::Kind::retry, 0}) == failed_at + kMinRetryDelay);
        d.fire_retry(0, failed_at + kMinRetryDelay);
    }
}

TEST_CASE("loop failures: every attempt logs iteration_start with its number", "[loop][failures]") {
    Driver d(every(1h));
    d.start(kT0);
    const Instant retry_at = into_backoff(d, kT0);
    d.clear();
    d.fire_retry(0, retry_at + 4ms);
    const LifecycleRecord* start = d.last_record("iteration_start");
    REQUIRE(start != nullptr);
    CHECK(start->attempt == 2U);
    CHECK(start->loop == 0U);
    CHECK(start->scheduled == kT0);
    CHECK(start->lateness == Duration{4ms});
    CHECK(d.records().empty());
    d.finish(0, success(), retry_at + 1s);
    REQUIRE(d.records().size() == 1);
    CHECK(d.records()[0].status == RunStatus::ok);
    CHECK(d.records()[0].attempts == 2U);
}

TEST_CASE("loop failures: count counts iterations started, whatever overlap allows",
          "[loop][failures]") {
    LoopSettings settings = every(10s);
    settings.count = 4;
    settings.max_concurrent = 2;
    Driver d(settings);
    d.start(kT0);
    // Every iteration takes 15 s, so two are always in flight.
    std::size_t started = 0;
    for (int slot = 0; slot < 8; ++slot) {
        const Instant now = kT0 + slot * 10s;
        if (slot >= 2) d.finish(static_cast<std::uint64_t>(slot - 2), success(15s), now);
        d.fire_slot(now);
    }
    for (const StartAttempt& start : d.starts()) started += start.attempt == 1 ? 1 : 0;
    CHECK(started == 4);
    CHECK(d.last_record("finished")->message == "count reached");
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop failures: the iteration that reaches count still retries", "[loop][failures]") {
    LoopSettings settings = every(10s);
    settings.count = 1;
    Driver d(settings);
    d.start(kT0);
    const Instant retry_at = into_backoff(d, kT0);
    d.clear();
    d.fire_retry(0, retry_at);
    CHECK(d.starts().size() == 1);
    d.finish(0, success(), retry_at + 1s);
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop failures: on_error when = first runs once per run of failures",
          "[loop][failures]") {
    LoopSettings settings = every(10s);
    settings.reconnect = false;
    settings.has_on_error = true;
    settings.on_error_first = true;
    Driver d(settings);
    d.start(kT0);
    std::vector<std::size_t> hooks_per_iteration;
    // fail, fail, fail, succeed, fail
    const std::vector<bool> fails = {true, true, true, false, true};
    for (std::size_t i = 0; i < fails.size(); ++i) {
        const Instant slot = kT0 + static_cast<int>(i) * 10s;
        d.fire_slot(slot);
        d.clear();
        d.finish(i, fails[i] ? kExit3 : success(), slot + 1s);
        hooks_per_iteration.push_back(d.hooks().size());
    }
    CHECK(hooks_per_iteration == std::vector<std::size_t>{1, 0, 0, 0, 1});
}

TEST_CASE("loop failures: on_recover follows the first success after failures",
          "[loop][failures]") {
    LoopSettings settings = every(10s);
    settings.reconnect = false;
    settings.has_on_recover = true;
    settings.has_on_success = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_success});  // nothing to recover from
    d.fire_slot(kT0 + 10s);
    d.finish(1, kExit3, kT0 + 12s);
    d.fire_slot(kT0 + 20s);
    d.finish(2, kExit3, kT0 + 21s);
    d.fire_slot(kT0 + 30s);
    d.clear();
    d.finish(3, success(), kT0 + 31s);
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_success, HookKind::on_recover});
    const HookContext context = d.hook_context(HookKind::on_recover);
    CHECK(context.failed_iterations == 2U);
    CHECK(context.down_since == kT0 + 12s);
    CHECK(context.loop == 3U);
    d.fire_slot(kT0 + 40s);
    d.clear();
    d.finish(4, success(), kT0 + 41s);
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_success});  // once per recovery
}

TEST_CASE("loop failures: a hook knows the iteration it belongs to", "[loop][failures]") {
    LoopSettings settings = every(10s);
    settings.reconnect = false;
    settings.has_on_error = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, kExit3, kT0 + 1s);
    // The loop has moved on to iteration 1; the hook is still iteration 0's.
    CHECK(d.loop.current_loop() == 1U);
    CHECK(d.hook_context(HookKind::on_error).loop == 0U);
    CHECK(d.hook_context(HookKind::on_error).scheduled == kT0);
}

TEST_CASE("loop failures: cancel while waiting to retry records the iteration cancelled",
          "[loop][failures]") {
    Driver d(every(1h));
    d.start(kT0);
    into_backoff(d, kT0);
    d.clear();
    d.cancel(kT0 + 2s);
    REQUIRE(d.records().size() == 1);
    CHECK(d.records()[0].status == RunStatus::cancelled);
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop failures: on_error = stop drops other iterations' pending retries",
          "[loop][failures]") {
    LoopSettings settings = every(10s);
    settings.max_concurrent = 2;
    settings.stop_on_error = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.fire_slot(kT0 + 10s);
    d.finish(0, kNetworkError, kT0 + 11s);  // iteration 0 waits to retry
    d.clear();
    d.finish(1, kExit3, kT0 + 12s);  // unhandled: the loop stops
    const auto records = d.records();
    REQUIRE(records.size() == 2);
    CHECK(records[0].status == RunStatus::failed);
    CHECK(records[0].iteration == 1U);
    CHECK(records[1].status == RunStatus::stopped);
    CHECK(records[1].iteration == 0U);
    CHECK(d.loop.state() == LoopState::failed);
}

}  // namespace
}  // namespace tasksrun

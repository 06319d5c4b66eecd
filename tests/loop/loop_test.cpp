// The Loop state machine driven with a fake time through the transitions of SPEC section 4.
#include "loop/loop.hpp"

#include <catch2/catch.hpp>

#include "support/loop_driver.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using namespace test;

TEST_CASE("loop: interval slots run at start and then on a drift-free grid", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    CHECK(d.events() == std::vector<std::string>{"start", "before_loop"});
    CHECK(d.armed_slot() == kT0);
    CHECK(d.loop.state() == LoopState::waiting);
    d.clear();

    d.fire_slot(kT0 + 3ms);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].iteration == 0);
    CHECK(d.last_record("iteration_start")->lateness == Duration{3ms});
    CHECK(d.armed_slot() == kT0 + 10s);
    CHECK(d.loop.state() == LoopState::running);
    CHECK(d.loop.current_loop() == 0);
    d.clear();

    // A 7 s run does not push the next slot: it stays at t0 + 10 s.
    d.finish(0, success(7s), kT0 + 7s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end"});
    CHECK(d.loop.state() == LoopState::waiting);
    CHECK(d.loop.current_loop() == 1);
    CHECK(d.next_iteration() == kT0 + 10s);
}

TEST_CASE("loop: run_at_start = false waits one interval, time and cron wait for their slot",
          "[loop]") {
    LoopSettings settings = every(10s);
    settings.run_at_start = false;
    Driver d(settings);
    d.start(kT0);
    CHECK(d.armed_slot() == kT0 + 10s);

    Driver cron(LoopSettings{.schedule = Schedule(WallClockSchedule(
                                 *CronExpression::parse("0 9 * * *"), Zone::utc(), {}))});
    cron.start(kT0);
    CHECK(cron.armed_slot() == at("2025-01-01T09:00:00Z"));
}

TEST_CASE("loop: a timer that wakes early sleeps again", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.clear();
    d.fire_slot(kT0 + 9s + 999ms);
    CHECK(d.starts().empty());
    CHECK(d.armed_slot() == kT0 + 10s);
}

TEST_CASE("loop: start on a running loop is refused", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.clear();
    CHECK_FALSE(d.loop.start(d.now(kT0), d.out));
    CHECK(d.out.empty());
}

TEST_CASE("loop: stop while waiting ends at once", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.events();
    d.clear();
    d.stop(kT0 + 2s);
    CHECK(d.events() == std::vector<std::string>{"stop", "after_loop", "finished"});
    CHECK(d.has(DisarmTimer{}));
    CHECK(d.loop.state() == LoopState::finished);
    CHECK_FALSE(d.loop.is_running());
    d.clear();
    d.fire_slot(kT0 + 10s);  // a stale timer does nothing
    CHECK(d.starts().empty());
}

TEST_CASE("loop: stop while running lets the iteration finish, then ends", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.clear();
    d.stop(kT0 + 1s);
    CHECK(d.events() == std::vector<std::string>{"stop"});
    CHECK(d.loop.state() == LoopState::running);
    CHECK_FALSE(d.next_iteration().has_value());
    d.clear();
    d.finish(0, success(), kT0 + 2s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end", "after_loop", "finished"});
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop: stop inside before_loop runs no iteration but runs after_loop", "[loop]") {
    LoopSettings settings = every(10s);
    settings.has_before_loop = settings.has_after_loop = true;
    Driver d(settings);
    d.start(kT0);
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::before_loop});
    CHECK(d.loop.state() == LoopState::before_loop);
    d.clear();
    d.stop(kT0 + 1s);
    d.hook_finished(HookKind::before_loop, success(), kT0 + 2s);
    CHECK(d.starts().empty());
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::after_loop});
    CHECK(d.loop.state() == LoopState::after_loop);
    d.clear();
    d.hook_finished(HookKind::after_loop, success(), kT0 + 3s);
    CHECK(d.events() == std::vector<std::string>{"finished"});
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop: cancel in each state", "[loop]") {
    LoopSettings settings = every(10s);
    settings.has_before_loop = settings.has_after_loop = true;
    const auto after_loop_context = [](const Driver& d) {
        for (const Command& c : d.out) {
            if (const auto* h = std::get_if<RunHook>(&c); h && h->kind == HookKind::after_loop)
                return h->context;
        }
        FAIL("no after_loop hook");
        return HookContext{};
    };

    SECTION("before_loop: the hook is aborted, after_loop sees cancelled") {
        Driver d(settings);
        d.start(kT0);
        d.clear();
        d.cancel(kT0 + 1s);
        CHECK(d.has(AbortAttempts{}));
        CHECK(d.loop.is_being_cancelled());
        d.hook_finished(HookKind::before_loop, kCancelled, kT0 + 1s);
        CHECK(d.starts().empty());
        CHECK(after_loop_context(d).cancelled);
    }
    SECTION("waiting: ends at once") {
        Driver d(settings);
        d.start(kT0);
        d.hook_finished(HookKind::before_loop, success(), kT0);
        d.clear();
        d.cancel(kT0 + 1s);
        CHECK_FALSE(d.has(AbortAttempts{}));
        CHECK(after_loop_context(d).cancelled);
        d.hook_finished(HookKind::after_loop, success(), kT0 + 1s);
        CHECK(d.loop.state() == LoopState::finished);
        CHECK_FALSE(d.loop.is_being_cancelled());
    }
    SECTION("running: the attempt is aborted, then after_loop") {
        Driver d(settings);
        d.start(kT0);
        d.hook_finished(HookKind::before_loop, success(), kT0);
        d.fire_slot(kT0);
        d.clear();
        d.cancel(kT0 + 1s);
        CHECK(d.has(AbortAttempts{}));
        CHECK(d.hooks().empty());  // after_loop waits for the aborted attempt
        d.finish(0, kCancelled, kT0 + 2s);
        CHECK(d.hooks() == std::vector<HookKind>{HookKind::after_loop});
        CHECK(after_loop_context(d).cancelled);
    }
    SECTION("backoff: the retry timer is dropped") {
        Driver d(settings);
        d.start(kT0);
        d.hook_finished(HookKind::before_loop, success(), kT0);
        d.fire_slot(kT0);
        d.finish(0, kNetworkError, kT0 + 1s);
        CHECK(d.loop.state() == LoopState::backoff);
        d.clear();
        d.cancel(kT0 + 1s);
        CHECK(d.has(DisarmTimer{}));
        CHECK_FALSE(d.has(AbortAttempts{}));
        CHECK(after_loop_context(d).cancelled);
        d.clear();
        d.fire_retry(0, kT0 + 1h);
        CHECK(d.starts().empty());
    }
}

TEST_CASE("loop: a handled failure is retried with backoff, then succeeds", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.clear();
    d.finish(0, kNetworkError, kT0 + 1s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end", "retry"});
    CHECK(d.loop.state() == LoopState::backoff);
    CHECK(d.loop.current_loop() == 0);
    const auto retry_at = d.armed({TimerKey::Kind::retry, 0});
    REQUIRE(retry_at.has_value());
    // First retry: uniform(0, 2 s).
    CHECK(*retry_at >= kT0 + 1s);
    CHECK(*retry_at <= kT0 + 3s);
    CHECK(d.last_record("retry")->failure_class == "network");
    CHECK(d.next_iteration() == kT0 + 10s);  // the schedule does not move
    d.clear();
    d.fire_retry(0, *retry_at);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].attempt == 2);
    CHECK(d.starts()[0].iteration == 0);
    CHECK(d.starts()[0].scheduled == kT0);
    d.finish(0, success(), *retry_at + 1s);
    CHECK(d.loop.state() == LoopState::waiting);
    CHECK(d.loop.current_loop() == 1);
}

TEST_CASE("loop: a server's Retry-After replaces the backoff delay", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.clear();
    Outcome limited = kNetworkError;
    limited.retry_after = 1500ms;
    d.finish(0, limited, kT0 + 1s);
    CHECK(d.armed({TimerKey::Kind::retry, 0}) == kT0 + 2500ms);
    CHECK(d.last_record("retry")->delay == Duration{1500ms});
}

TEST_CASE("loop: max_retries turns a handled failure into an error", "[loop]") {
    LoopSettings settings = every(1h);
    settings.max_retries = 2;
    settings.has_on_error = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    Instant now = kT0;
    for (int retry = 0; retry < 2; ++retry) {
        d.finish(0, kNetworkError, now);
        now = *d.armed({TimerKey::Kind::retry, 0});
        d.clear();
        d.fire_retry(0, now);
    }
    d.clear();
    d.finish(0, kNetworkError, now + 1s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end", "error"});
    CHECK(d.last_record("error")->message == "it broke (gave up after 2 retries)");
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_error});
    CHECK(d.loop.state() == LoopState::waiting);
}

TEST_CASE("loop: backoff grows to at most 1024 s and resets after a success", "[loop]") {
    std::minstd_rand random(3);
    Backoff backoff;
    for (int k = 1; k <= 14; ++k) {
        const Duration cap = std::chrono::seconds{std::int64_t{1} << std::min(k, 10)};
        CHECK(backoff.next_cap() == cap);
        const Duration delay = backoff.next_delay(random);
        CHECK(delay >= Duration::zero());
        CHECK(delay <= cap);
    }
    backoff.reset();
    CHECK(backoff.next_cap() == Duration{2s});
}

TEST_CASE("loop: an unhandled failure runs on_error, then on_error decides", "[loop]") {
    SECTION("continue: the next slot runs") {
        LoopSettings settings = every(10s);
        settings.has_on_error = true;
        Driver d(settings);
        d.start(kT0);
        d.fire_slot(kT0);
        d.clear();
        d.finish(0, kExit3, kT0 + 1s);
        CHECK(d.events() == std::vector<std::string>{"iteration_end", "error"});
        CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_error});
        CHECK(d.loop.state() == LoopState::waiting);
        CHECK_FALSE(d.loop.failed());
        CHECK(d.loop.current_loop() == 1);
        CHECK(d.next_iteration() == kT0 + 10s);
    }
    SECTION("stop: the loop fails, after_loop sees it") {
        LoopSettings settings = every(10s);
        settings.has_on_error = settings.has_after_loop = true;
        settings.stop_on_error = true;
        Driver d(settings);
        d.start(kT0);
        d.fire_slot(kT0);
        d.clear();
        d.finish(0, kExit3, kT0 + 1s);
        CHECK(d.hooks() == std::vector<HookKind>{HookKind::on_error, HookKind::after_loop});
        CHECK(d.loop.failed());
        d.hook_finished(HookKind::after_loop, success(), kT0 + 2s);
        CHECK(d.loop.state() == LoopState::failed);
        CHECK(d.loop.failed());
        d.clear();
        d.start(kT0 + 3s);  // failed lasts until the next start
        CHECK_FALSE(d.loop.failed());
    }
    SECTION("reconnect = false: even a network error is unhandled") {
        LoopSettings settings = every(10s);
        settings.reconnect = false;
        Driver d(settings);
        d.start(kT0);
        d.fire_slot(kT0);
        d.clear();
        d.finish(0, kNetworkError, kT0 + 1s);
        CHECK(d.events() == std::vector<std::string>{"iteration_end", "error"});
    }
}

TEST_CASE("loop: count ends the loop right after the count-th success, retries between", "[loop]") {
    LoopSettings settings = every(10s);
    settings.count = 2;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.fire_slot(kT0 + 10s);
    d.finish(1, kNetworkError, kT0 + 11s);
    const Instant retry_at = *d.armed({TimerKey::Kind::retry, 1});
    d.fire_retry(1, retry_at);
    d.clear();
    d.finish(1, success(), retry_at + 1s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end", "after_loop", "finished"});
    CHECK(d.last_record("finished")->message == "count reached");
    CHECK(d.loop.state() == LoopState::finished);
}

TEST_CASE("loop: a retry running past the next slot absorbs it: never a double run", "[loop]") {
    LoopSettings settings = every(10s);
    settings.misfire_run_once = true;  // even so, a retry takes the slot's place
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, kNetworkError, kT0 + 1s);
    d.clear();
    d.fire_slot(kT0 + 10s);  // the slot passes during the backoff
    CHECK(d.starts().empty());
    CHECK(d.last_record("misfire")->message ==
          "a retry is in progress; the retry takes this slot's place");
    CHECK(d.armed_slot() == kT0 + 20s);
    d.clear();
    d.fire_retry(0, kT0 + 12s);
    d.finish(0, success(), kT0 + 13s);
    REQUIRE(d.starts().size() == 1);  // only the retry, no late run
    CHECK(d.starts()[0].attempt == 2);
    CHECK(d.loop.state() == LoopState::waiting);
    CHECK(d.next_iteration() == kT0 + 20s);
}

TEST_CASE("loop: an overrun is a misfire: skip or run once late, never a burst", "[loop]") {
    SECTION("skip") {
        Driver d(every(10s));
        d.start(kT0);
        d.fire_slot(kT0);
        d.clear();
        d.fire_slot(kT0 + 10s);
        d.fire_slot(kT0 + 20s);
        CHECK(d.events() == std::vector<std::string>{"misfire", "misfire"});
        CHECK(d.starts().empty());
        d.clear();
        d.finish(0, success(25s), kT0 + 25s);
        CHECK(d.starts().empty());
        CHECK(d.next_iteration() == kT0 + 30s);
    }
    SECTION("run-once") {
        LoopSettings settings = every(10s);
        settings.misfire_run_once = true;
        Driver d(settings);
        d.start(kT0);
        d.fire_slot(kT0);
        d.fire_slot(kT0 + 10s);
        d.fire_slot(kT0 + 20s);
        d.clear();
        d.finish(0, success(25s), kT0 + 25s);
        REQUIRE(d.starts().size() == 1);  // one late run for two missed slots
        CHECK(d.starts()[0].scheduled == kT0 + 20s);
        CHECK(d.last_record("iteration_start")->lateness == Duration{5s});
        CHECK(d.next_iteration() == kT0 + 30s);
    }
    SECTION("run-once, but older than misfire_grace") {
        LoopSettings settings = every(10s);
        settings.misfire_run_once = true;
        settings.misfire_grace = 2s;
        Driver d(settings);
        d.start(kT0);
        d.fire_slot(kT0);
        d.fire_slot(kT0 + 10s);
        d.clear();
        d.finish(0, success(), kT0 + 15s);
        CHECK(d.starts().empty());
        CHECK(d.last_record("misfire")->message == "older than misfire_grace; skipped");
    }
}

TEST_CASE("loop: a timer far too late skips the slots it slept through", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.clear();
    d.fire_slot(kT0 + 1h + 3s);  // e.g. a suspended host
    CHECK(d.starts().size() == 1);
    CHECK(d.events() == std::vector<std::string>{"misfire", "iteration_start"});
    CHECK(d.armed_slot() == kT0 + 1h + 10s);
}

TEST_CASE("loop: change_interval while waiting takes effect at once", "[loop]") {
    Driver d(every(10s));
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.clear();
    d.change_schedule(Schedule(IntervalSchedule(3s)), kT0 + 2s);
    CHECK(d.events() == std::vector<std::string>{"interval_changed"});
    CHECK(d.armed_slot() == kT0 + 3s);  // from the last scheduled slot, t0
    CHECK(d.loop.schedule().describe() == "every 3s");
    d.clear();
    d.fire_slot(kT0 + 3s);
    CHECK(d.armed_slot() == kT0 + 6s);

    d.clear();
    d.change_schedule(Schedule(WallClockSchedule(TimesOfDay({12h}), Zone::utc(), {})), kT0 + 4s);
    CHECK(d.armed_slot() == at("2025-01-01T12:00:00Z"));  // from now, for time and cron
}

TEST_CASE("loop: restart cancels, waits for after_loop, then starts again", "[loop]") {
    LoopSettings settings = every(10s);
    settings.has_after_loop = true;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.fire_slot(kT0 + 10s);
    d.clear();
    d.restart(kT0 + 11s);
    CHECK(d.has(AbortAttempts{}));
    d.finish(1, kCancelled, kT0 + 11s);
    CHECK(d.hooks() == std::vector<HookKind>{HookKind::after_loop});
    d.clear();
    d.hook_finished(HookKind::after_loop, success(), kT0 + 12s);
    CHECK(d.events() == std::vector<std::string>{"finished", "start", "before_loop"});
    CHECK(d.loop.current_loop() == 0);
    CHECK(d.armed_slot() == kT0 + 12s);
    CHECK(d.loop.state() == LoopState::waiting);
}

TEST_CASE("loop: overlap 2 runs two slow iterations at once and misfires the third", "[loop]") {
    LoopSettings settings = every(10s);
    settings.max_concurrent = 2;
    Driver d(settings);
    d.start(kT0);
    d.fire_slot(kT0);
    d.fire_slot(kT0 + 10s);
    CHECK(d.starts().size() == 2);
    CHECK(d.loop.current_loop() == 0);
    d.clear();
    d.fire_slot(kT0 + 20s);
    CHECK(d.starts().empty());
    CHECK(d.events() == std::vector<std::string>{"misfire"});
    d.finish(0, success(25s), kT0 + 25s);
    CHECK(d.loop.current_loop() == 1);
    d.clear();
    d.fire_slot(kT0 + 30s);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].iteration == 2);
}

TEST_CASE("loop: a failing before_loop is retried when handled, else the loop fails", "[loop]") {
    LoopSettings settings = every(10s);
    settings.has_before_loop = true;
    SECTION("handled") {
        Driver d(settings);
        d.start(kT0);
        d.clear();
        d.hook_finished(HookKind::before_loop, kNetworkError, kT0 + 1s);
        const auto retry_at = d.armed({TimerKey::Kind::hook_retry, 0});
        REQUIRE(retry_at.has_value());
        d.clear();
        d.loop.timer_fired({TimerKey::Kind::hook_retry, 0}, d.now(*retry_at), d.out);
        CHECK(d.hooks() == std::vector<HookKind>{HookKind::before_loop});
        d.hook_finished(HookKind::before_loop, success(), *retry_at + 1s);
        CHECK(d.loop.state() == LoopState::waiting);
    }
    SECTION("unhandled") {
        Driver d(settings);
        d.start(kT0);
        d.clear();
        d.hook_finished(HookKind::before_loop, kExit3, kT0 + 1s);
        CHECK(d.events() == std::vector<std::string>{"error", "after_loop", "finished"});
        CHECK(d.loop.state() == LoopState::failed);
        CHECK(d.starts().empty());
    }
}

TEST_CASE("loop: jitter delays the timer but not the slot", "[loop]") {
    LoopSettings settings = every(10s);
    settings.jitter = 2s;
    Driver d(settings, 42);
    d.start(kT0);
    const Instant fire_at = *d.armed_slot();
    CHECK(fire_at >= kT0);
    CHECK(fire_at <= kT0 + 2s);
    d.clear();
    d.fire_slot(fire_at + 1ms);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].scheduled == kT0);
    CHECK(d.last_record("iteration_start")->lateness == Duration{1ms});  // from the jittered time
}

}  // namespace
}  // namespace tasksrun

namespace tasksrun {
namespace {

TEST_CASE("loop: a zero interval runs iterations back to back without spinning", "[loop]") {
    Driver d(every(0s));
    d.start(kT0);
    CHECK(d.armed_slot() == kT0);
    d.clear();
    d.fire_slot(kT0);
    REQUIRE(d.starts().size() == 1);
    // While the iteration runs there is no due slot: no timer, no misfire.
    CHECK_FALSE(d.armed_slot().has_value());
    d.clear();
    d.finish(0, success(3s), kT0 + 3s);
    CHECK(d.armed_slot() == kT0 + 3s);  // the next one starts as soon as this one ended
    CHECK(d.events() == std::vector<std::string>{"iteration_end"});
    d.clear();
    d.fire_slot(kT0 + 3s);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].iteration == 1);
    CHECK_FALSE(d.armed_slot().has_value());
}

// SPEC 6: with state, a restarted daemon resumes the schedule after the last fired slot.

TEST_CASE("loop: resuming an interval continues its grid and ignores run_at_start",
          "[loop][resume]") {
    Driver d(every(10s));
    d.start(kT0 + 5s, kT0);
    CHECK(d.starts().empty());
    CHECK(d.armed_slot() == kT0 + 10s);
    CHECK(d.events() == std::vector<std::string>{"start", "before_loop"});
}

TEST_CASE("loop: a recorded slot in the future is ignored rather than waited for",
          "[loop][resume]") {
    Driver d(every(10s));
    d.start(kT0, kT0 + std::chrono::hours{24 * 365});  // the clock was set back a year
    CHECK(d.armed_slot() == kT0);                      // run_at_start, as with no record
    CHECK_THAT(d.last_record("start")->message, Catch::Contains("in the future"));
}

TEST_CASE("loop: slots missed while down are skipped under misfire skip", "[loop][resume]") {
    Driver d(every(10s));
    d.start(kT0 + 25s, kT0);
    CHECK(d.starts().empty());
    REQUIRE(d.last_record("misfire") != nullptr);
    CHECK(d.last_record("misfire")->scheduled == kT0 + 10s);
    CHECK(d.armed_slot() == kT0 + 30s);
}

TEST_CASE("loop: the latest slot missed while down runs once late under misfire run-once",
          "[loop][resume]") {
    LoopSettings settings = every(10s);
    settings.misfire_run_once = true;
    Driver d(settings);
    d.start(kT0 + 25s, kT0);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].scheduled == kT0 + 20s);
    CHECK(d.starts()[0].lateness == Duration{5s});
    CHECK(d.last_record("misfire")->scheduled == kT0 + 20s);
    CHECK(d.armed_slot() == kT0 + 30s);  // the grid goes on; no burst of catch-up runs
}

TEST_CASE("loop: a daily slot missed while down runs once within misfire_grace only",
          "[loop][resume]") {
    LoopSettings settings{.schedule = Schedule(WallClockSchedule(
                              *CronExpression::parse("0 9 * * *"), Zone::utc(), {}))};
    settings.misfire_run_once = true;
    settings.misfire_grace = 1h;
    const Instant yesterday = at("2025-03-01T09:00:00Z");

    Driver within(settings);
    within.start(at("2025-03-02T09:30:00Z"), yesterday);
    REQUIRE(within.starts().size() == 1);
    CHECK(within.starts()[0].scheduled == at("2025-03-02T09:00:00Z"));
    CHECK(within.armed_slot() == at("2025-03-03T09:00:00Z"));

    Driver beyond(settings);
    beyond.start(at("2025-03-02T10:30:00Z"), yesterday);
    CHECK(beyond.starts().empty());
    REQUIRE(beyond.last_record("misfire") != nullptr);
    CHECK_THAT(beyond.last_record("misfire")->message, Catch::Contains("misfire_grace"));
    CHECK(beyond.armed_slot() == at("2025-03-03T09:00:00Z"));

    Driver not_missed(settings);
    not_missed.start(at("2025-03-02T08:00:00Z"), yesterday);
    CHECK(not_missed.starts().empty());
    CHECK(not_missed.last_record("misfire") == nullptr);
    CHECK(not_missed.armed_slot() == at("2025-03-02T09:00:00Z"));
}

TEST_CASE("loop: run_now adds an iteration without moving the schedule", "[loop][run_now]") {
    Driver d(every(10s));
    CHECK(d.run_now(kT0).has_value());  // idle: refused
    d.start(kT0);
    d.fire_slot(kT0);
    d.finish(0, success(), kT0 + 1s);
    d.clear();

    CHECK_FALSE(d.run_now(kT0 + 4s).has_value());
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].iteration == 1);
    CHECK_FALSE(d.starts()[0].on_schedule);
    CHECK_FALSE(d.armed_slot().has_value());  // the slot at t0 + 10 s stays armed
    CHECK(d.loop.last_scheduled() == kT0);    // not a slot: a restart resumes from t0
    CHECK(d.next_iteration() == kT0 + 10s);
    d.clear();

    CHECK(d.run_now(kT0 + 5s).has_value());  // overlap leaves no room
    CHECK(d.starts().empty());
}

// @reboot: one slot, the start itself; a loop resumed after a slot of this boot has none left.
TEST_CASE("loop: @reboot runs once when the loop starts, then ends", "[loop][reboot]") {
    Driver d(LoopSettings{.schedule = Schedule(StartupSchedule{})});
    d.start(kT0);
    CHECK(d.armed_slot() == kT0);
    d.clear();
    d.fire_slot(kT0);
    REQUIRE(d.starts().size() == 1);
    CHECK(d.starts()[0].scheduled == kT0);
    CHECK_FALSE(d.next_iteration().has_value());
    d.clear();
    d.finish(0, success(), kT0 + 1s);
    CHECK(d.events() == std::vector<std::string>{"iteration_end", "after_loop", "finished"});
    CHECK(d.loop.state() == LoopState::finished);

    Driver resumed(LoopSettings{.schedule = Schedule(StartupSchedule{})});
    resumed.start(kT0 + 1h, kT0);
    CHECK(resumed.starts().empty());
    CHECK_FALSE(resumed.armed_slot().has_value());
    CHECK(resumed.loop.state() == LoopState::finished);
}

}  // namespace
}  // namespace tasksrun

#pragma once
// The Loop of discord.ext.tasks as SPEC section 4 defines it, as a pure state machine: it is told
// events with both clocks' readings and answers with Commands (arm a timer, start an attempt, run
// a hook, log). It never reads a clock, sleeps or does I/O; runtime/ carries its commands out and
// reports back. Not thread-safe: one runtime thread drives it.
//
// Two clocks, never mixed (SPEC 11): an interval's grid, retries and jitter are monotonic
// instants, so a step of the wall clock moves none of them; time and cron slots are wall-clock
// instants, recomputed from the wall clock as it is. Every slot is also reported as a wall-clock
// label ("scheduled"), the instant it corresponds to when the iteration starts.
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "loop/backoff.hpp"
#include "loop/events.hpp"
#include "schedule/schedule.hpp"
#include "util/flat_map.hpp"

namespace tasksrun {

struct LoopSettings {
    Schedule schedule;
    // `run-once`: one iteration at start, whatever the schedule says (with count = 1).
    bool once = false;
    bool run_at_start = true;
    // Iterations to start on the schedule before the loop ends (run-now ones do not count).
    std::optional<std::uint64_t> count = std::nullopt;
    bool reconnect = true;
    RetryOn retry_on = nullptr;                               // null: nothing is handled
    std::optional<std::uint64_t> max_retries = std::nullopt;  // nullopt: unlimited
    bool stop_on_error = false;
    // on_error `when = "first"`: the hook runs only for the first failed iteration in a row.
    bool on_error_first = false;
    unsigned max_concurrent = 1;
    bool misfire_run_once = false;
    // Cluster mode: an interval's grid lies on the wall clock, from the Unix epoch plus this
    // offset, so that every replica computes the same slots.
    std::optional<Duration> epoch_offset = std::nullopt;
    // Cluster mode: a due slot is claimed first (ClaimSlot) and runs only if it is won.
    bool claim_slots = false;
    Duration misfire_grace = std::chrono::hours{1};
    Duration jitter{0};
    bool has_before_loop = false;
    bool has_after_loop = false;
    bool has_on_error = false;
    bool has_on_success = false;
    bool has_on_recover = false;
};

// However short a server's Retry-After or the random backoff, a retry waits at least this long,
// so that no answer can turn retries into a flood (SPEC 10.1).
inline constexpr Duration kMinRetryDelay = std::chrono::milliseconds{100};

enum class LoopState { idle, before_loop, waiting, running, backoff, after_loop, finished, failed };
std::string_view to_string(LoopState state);

class Loop {
  public:
    // `seed` drives backoff and jitter; tests pass a fixed one.
    Loop(LoopSettings settings, std::uint64_t seed);

    // start on a loop that is already running is refused: returns false and does nothing.
    // `last_fired` is the last slot a previous run of this task fired (from the state database,
    // or from the loop a reload replaced): the schedule resumes after it, run_at_start does not
    // apply, and the slots missed since are a misfire (SPEC 6).
    bool start(const Now& now, Commands& out, std::optional<Instant> last_fired = std::nullopt);
    void stop(const Now& now, Commands& out);
    void cancel(const Now& now, Commands& out);
    void restart(const Now& now, Commands& out);
    // change_interval: the next slot is recomputed at once, from the last scheduled slot for an
    // interval and from now for time and cron.
    void change_schedule(Schedule schedule, const Now& now, Commands& out);

    // `ctl run-now`: one extra iteration now, outside the schedule (the next slot stays). Returns
    // why it cannot when the loop is not running its iterations or overlap leaves no room.
    std::optional<std::string> run_now(const Now& now, Commands& out);

    void timer_fired(TimerKey key, const Now& now, Commands& out);
    // Cluster mode: what the claim of `slot` (a ClaimSlot) came to. Returns whether an iteration
    // started: a slot won by a loop that has since stopped, or has no room, does not run.
    bool slot_claimed(Instant slot, ClaimResult result, std::uint64_t fence, const Now& now,
                      Commands& out);
    // Cluster mode: the database answers again; a slot it missed runs once, late, if misfire
    // says so and it is within misfire_grace.
    void retry_late(const Now& now, Commands& out);
    // Cluster mode: this replica took over `slot` of a replica that died while running it
    // (on_crash = "rerun"): it runs now, under `claim`, outside the schedule; when overlap leaves
    // no room, as soon as a running iteration ends (its attempt then starts only if the claim
    // is still held). Why it cannot, when it cannot.
    std::optional<std::string> run_taken_over(SlotClaim claim, const Now& now, Commands& out);
    void attempt_finished(std::uint64_t iteration, const Outcome& outcome, const Now& now,
                          Commands& out);
    void hook_finished(HookKind kind, const Outcome& outcome, const Now& now, Commands& out);

    LoopState state() const;
    // The iteration in progress (the oldest, with overlap), else the next one; a retry keeps it.
    std::uint64_t current_loop() const;
    // The next slot, as a wall-clock instant (an interval's as it stands on the clock `now`).
    std::optional<Instant> next_iteration(const Now& now) const;
    bool is_running() const;
    bool failed() const { return failed_; }
    bool is_being_cancelled() const { return cancelling_; }
    // The slot of the most recent iteration started, in this run of the loop, as a wall-clock
    // label.
    std::optional<Instant> last_scheduled() const { return last_scheduled_; }
    const Schedule& schedule() const { return settings_.schedule; }

  private:
    enum class Phase { idle, before_loop, active, after_loop, finished, failed };

    // An instant on the clock this loop's slots live on: the monotonic clock for an interval, the
    // wall clock for time and cron (see slot_now). Kept apart from both so that neither is mixed
    // with the other by accident.
    struct SlotClock {
        using duration = Duration;
        using rep = duration::rep;
        using period = duration::period;
        using time_point = std::chrono::time_point<SlotClock, Duration>;
        static constexpr bool is_steady = false;
    };
    using SlotTime = SlotClock::time_point;

    struct Flight {
        std::uint32_t attempt = 1;
        Instant scheduled{};  // the slot's wall-clock label
        MonoInstant started{};
        std::uint64_t retries = 0;
        bool in_backoff = false;
        MonoInstant retry_at{};
        std::optional<FailureClass> last_failure = std::nullopt;  // while in backoff
        std::string last_error = {};
        std::optional<SlotClaim> claim = std::nullopt;  // cluster mode
    };
    // Cluster mode: a due slot whose claim has not been answered yet.
    struct PendingClaim {
        SlotTime slot;
        SlotTime due;
    };

    // Whether slots live on the monotonic clock (an interval) or the wall clock.
    bool monotonic_slots() const {
        return settings_.schedule.interval() != nullptr && !settings_.epoch_offset;
    }
    SlotTime slot_now(const Now& now) const;
    // The wall-clock label of a slot, and the slot a wall-clock instant corresponds to.
    Instant wall_label(SlotTime slot, const Now& now) const;
    // How far the wall clock is ahead of the monotonic one: as last seen, unless it has stepped.
    Duration wall_ahead(const Now& now) const;
    SlotTime slot_at(Instant wall, const Now& now) const;
    TimerDeadline deadline(SlotTime at) const;
    // The schedule's next slot strictly after `after`.
    std::optional<SlotTime> slot_after(SlotTime after) const;

    void begin_iterations(const Now& now, Commands& out);
    void resume_after(SlotTime last_fired, const Now& now, Commands& out);
    // The latest slot in (after, now] that is within misfire_grace of now.
    std::optional<SlotTime> latest_slot_within_grace(SlotTime after, SlotTime now) const;
    void arm_slot(std::optional<SlotTime> slot, const Now& now, Commands& out);
    void on_slot_due(const Now& now, Commands& out);
    // A zero interval: the next iteration starts as soon as the previous one ends.
    bool back_to_back() const;
    void record_overrun(SlotTime slot, const Now& now, Commands& out);
    // `due` is when the timer aimed to start it (the slot plus its jitter); lateness is measured
    // from there.
    void start_iteration(SlotTime scheduled, SlotTime due, const Now& now, Commands& out,
                         bool on_schedule = true, std::optional<SlotClaim> claim = std::nullopt);
    // A slot that is due runs: at once, or, in cluster mode, once this replica wins its claim.
    void start_or_claim(SlotTime slot, SlotTime due, const Now& now, Commands& out);
    // The slot kept for a late run (misfire = "run-once"), if there is room and it is in grace.
    void run_pending_late(const Now& now, Commands& out);
    void run_pending_takeover(const Now& now, Commands& out);
    void after_iteration(const Now& now, Commands& out);
    void handle_failure(std::uint64_t iteration, Flight& flight, const Outcome& outcome,
                        const Now& now, Commands& out);
    void iteration_succeeded(std::uint64_t iteration, const Flight& flight, const Outcome& outcome,
                             const Now& now, Commands& out);
    bool is_handled(const FailureClass& failure, std::uint64_t retries_so_far) const;
    Duration retry_delay(const Outcome& outcome);
    // `drop_retries`: a stop ends iterations waiting to retry at once; reaching `count` lets
    // them finish.
    void request_end(const Now& now, Commands& out, bool drop_retries);
    // Ends every iteration waiting to retry, recorded with `status` (stopped or cancelled).
    void drop_pending_retries(RunStatus status, const Now& now, Commands& out);
    void maybe_end(const Now& now, Commands& out);
    void end_loop(const Now& now, Commands& out);
    void finish(const Now& now, Commands& out);
    void log(Commands& out, LifecycleRecord record) const;
    HookContext hook_context() const;
    // For on_success, on_error and on_recover: the iteration that triggered the hook, and how it
    // ended.
    HookContext hook_context(std::uint64_t iteration, const Flight& flight,
                             const Outcome& outcome) const;

    LoopSettings settings_;
    // Jitter and backoff only need a cheap, small engine: 8 bytes, where mt19937_64 would add
    // 2.5 KB to every task.
    std::minstd_rand random_;
    Backoff backoff_;
    Phase phase_ = Phase::idle;

    // Readings of the two clocks taken together differ by at most this, short of a step.
    static constexpr Duration kClockReadingSpread = std::chrono::milliseconds{1};
    Duration wall_ahead_{0};                            // see wall_ahead()
    SlotTime anchor_{};                                 // interval grid origin
    std::optional<SlotTime> next_slot_ = std::nullopt;  // next slot not yet started or skipped
    SlotTime slot_fire_at_{};  // next_slot_ plus its jitter: when the timer is due
    // The slot of the most recent iteration started; at start, the resumed run's last fired slot.
    std::optional<Instant> last_scheduled_ = std::nullopt;
    std::optional<SlotTime> last_scheduled_slot_ = std::nullopt;  // the same, on the slot clock
    std::optional<SlotTime> pending_late_ = std::nullopt;         // a missed slot to run once, late
    // Cluster mode: a slot taken over while an iteration ran, to run when one ends.
    std::optional<SlotClaim> pending_takeover_ = std::nullopt;
    FlatMap<Instant, PendingClaim> pending_claims_;  // by the slot's wall-clock label
    FlatMap<std::uint64_t, Flight> flights_;
    std::uint64_t next_index_ = 0;
    std::uint64_t started_on_schedule_ = 0;  // what `count` counts
    std::uint64_t before_loop_retries_ = 0;
    bool before_loop_in_backoff_ = false;  // its retry timer is armed, the hook is not running
    // Failed iterations in a row (ended by an unhandled failure), for on_error `when = "first"`
    // and on_recover; reset by a success and by start.
    std::uint64_t failed_in_a_row_ = 0;
    std::optional<Instant> down_since_ = std::nullopt;
    // Why the loop ends, for its `finished` line.
    enum class EndReason : std::uint8_t { stopped, count, no_slots, error_policy, before_loop };
    static std::string_view describe(EndReason reason);
    EndReason end_reason_ = EndReason::stopped;

    bool stopping_ = false;
    bool dropping_retries_ = false;  // stopping for a stop (not for count): no retry starts
    bool cancelling_ = false;
    bool restart_pending_ = false;
    bool failed_ = false;
};

}  // namespace tasksrun

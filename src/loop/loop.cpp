#include "loop/loop.hpp"

#include <algorithm>

#include "util/duration.hpp"

namespace tasksrun {
namespace {

constexpr TimerKey kSlotTimer{TimerKey::Kind::slot, 0};
constexpr TimerKey kHookRetryTimer{TimerKey::Kind::hook_retry, 0};

TimerKey retry_timer(std::uint64_t iteration) {
    return {TimerKey::Kind::retry, iteration};
}

}  // namespace

std::string_view to_string(HookKind kind) {
    switch (kind) {
        case HookKind::before_loop:
            return "before_loop";
        case HookKind::after_loop:
            return "after_loop";
        case HookKind::on_error:
            return "on_error";
        case HookKind::on_success:
            return "on_success";
        case HookKind::on_recover:
            break;
    }
    return "on_recover";
}

std::string_view Loop::describe(EndReason reason) {
    switch (reason) {
        case EndReason::stopped:
            return "stopped";
        case EndReason::count:
            return "count reached";
        case EndReason::no_slots:
            return "no further slots";
        case EndReason::error_policy:
            return "stopped by an unhandled failure (on_error = \"stop\")";
        case EndReason::before_loop:
            break;
    }
    return "before_loop hook failed";
}

std::string_view to_string(LifecycleEvent event) {
    static constexpr std::string_view kNames[] = {
        "start",   "before_loop", "iteration_start", "iteration_end",    "retry",
        "misfire", "error",       "hook_start",      "hook_end",         "stop",
        "cancel",  "after_loop",  "finished",        "interval_changed", "reload"};
    return kNames[static_cast<std::size_t>(event)];
}

std::string_view to_string(RunStatus status) {
    switch (status) {
        case RunStatus::retrying:
            return "retrying";
        case RunStatus::ok:
            return "ok";
        case RunStatus::failed:
            return "failed";
        case RunStatus::cancelled:
            return "cancelled";
        case RunStatus::stopped:
            break;
    }
    return "stopped";
}

std::string_view to_string(LoopState state) {
    switch (state) {
        case LoopState::idle:
            return "idle";
        case LoopState::before_loop:
            return "before_loop";
        case LoopState::waiting:
            return "waiting";
        case LoopState::running:
            return "running";
        case LoopState::backoff:
            return "backoff";
        case LoopState::after_loop:
            return "after_loop";
        case LoopState::finished:
            return "finished";
        case LoopState::failed:
            break;
    }
    return "failed";
}

Loop::Loop(LoopSettings settings, std::uint64_t seed)
    : settings_(std::move(settings)),
      random_(static_cast<std::minstd_rand::result_type>(seed % 2147483646U + 1)) {}

LoopState Loop::state() const {
    switch (phase_) {
        case Phase::idle:
            return LoopState::idle;
        case Phase::before_loop:
            return LoopState::before_loop;
        case Phase::after_loop:
            return LoopState::after_loop;
        case Phase::finished:
            return LoopState::finished;
        case Phase::failed:
            return LoopState::failed;
        case Phase::active:
            break;
    }
    const bool running =
        std::ranges::any_of(flights_, [](const auto& f) { return !f.second.in_backoff; });
    if (running) return LoopState::running;
    return flights_.empty() ? LoopState::waiting : LoopState::backoff;
}

std::uint64_t Loop::current_loop() const {
    return flights_.empty() ? next_index_ : flights_.begin()->first;
}

std::optional<Instant> Loop::next_iteration(const Now& now) const {
    if (phase_ != Phase::active || stopping_ || !next_slot_) return std::nullopt;
    return wall_label(*next_slot_, now);
}

Loop::SlotTime Loop::slot_now(const Now& now) const {
    return SlotTime{monotonic_slots() ? now.mono.time_since_epoch() : now.wall.time_since_epoch()};
}

Duration Loop::wall_ahead(const Now& now) const {
    const Duration ahead = now.wall.time_since_epoch() - now.mono.time_since_epoch();
    // Reading two clocks one after the other puts a microsecond or so between them: a label
    // must not change with that, only with a real step of the wall clock.
    return std::chrono::abs(ahead - wall_ahead_) <= kClockReadingSpread ? wall_ahead_ : ahead;
}

Instant Loop::wall_label(SlotTime slot, const Now& now) const {
    if (!monotonic_slots()) return Instant{slot.time_since_epoch()};
    return Instant{slot.time_since_epoch() + wall_ahead(now)};
}

Loop::SlotTime Loop::slot_at(Instant wall, const Now& now) const {
    if (!monotonic_slots()) return SlotTime{wall.time_since_epoch()};
    return SlotTime{wall.time_since_epoch() - wall_ahead(now)};
}

TimerDeadline Loop::deadline(SlotTime at) const {
    if (monotonic_slots()) return MonoInstant{at.time_since_epoch()};
    return Instant{at.time_since_epoch()};
}

std::optional<Loop::SlotTime> Loop::slot_after(SlotTime after) const {
    // The schedule speaks Instant; an interval's grid is plain arithmetic on it, so its
    // monotonic slots pass through unchanged.
    const auto next = settings_.schedule.next_after(Instant{after.time_since_epoch()},
                                                    Instant{anchor_.time_since_epoch()});
    if (!next) return std::nullopt;
    return SlotTime{next->time_since_epoch()};
}

bool Loop::is_running() const {
    return phase_ != Phase::idle && phase_ != Phase::finished && phase_ != Phase::failed;
}

void Loop::log(Commands& out, LifecycleRecord record) const {
    out.push_back(Log{std::move(record)});
}

HookContext Loop::hook_context() const {
    return HookContext{.loop = current_loop(),
                       .scheduled = last_scheduled_,
                       .outcome = std::nullopt,
                       .cancelled = cancelling_,
                       .failed = failed_};
}

HookContext Loop::hook_context(std::uint64_t iteration, const Flight& flight,
                               const Outcome& outcome) const {
    HookContext context = hook_context();
    context.loop = iteration;
    context.scheduled = flight.scheduled;
    context.outcome = outcome;
    context.attempts = flight.attempt;
    return context;
}

bool Loop::start(const Now& now, Commands& out, std::optional<Instant> last_fired) {
    if (is_running()) return false;
    phase_ = Phase::before_loop;
    next_slot_.reset();
    std::string resumed;
    if (last_fired && *last_fired > now.wall) {
        // Recorded by a clock that ran ahead, or since set back: resuming after it could leave
        // the task waiting for as long as the clock was off.
        resumed = "; the last recorded slot is in the future, so the schedule starts afresh";
        last_fired.reset();
    }
    wall_ahead_ = now.wall.time_since_epoch() - now.mono.time_since_epoch();
    // A resumed loop's most recent slot is the one its previous run fired last.
    last_scheduled_ = last_fired;
    last_scheduled_slot_.reset();
    if (last_fired) last_scheduled_slot_ = slot_at(*last_fired, now);
    pending_late_.reset();
    pending_takeover_.reset();
    pending_claims_.clear();
    flights_.clear();
    next_index_ = 0;
    started_on_schedule_ = 0;
    before_loop_retries_ = 0;
    before_loop_in_backoff_ = false;
    failed_in_a_row_ = 0;
    down_since_.reset();
    end_reason_ = EndReason::stopped;
    stopping_ = dropping_retries_ = cancelling_ = failed_ = false;
    backoff_.reset();
    log(out, {.event = LifecycleEvent::start,
              .message = (settings_.once ? "once, now" : settings_.schedule.describe()) + resumed});
    log(out, {.event = LifecycleEvent::before_loop});
    if (settings_.has_before_loop) {
        out.push_back(RunHook{HookKind::before_loop, hook_context()});
    } else {
        begin_iterations(now, out);
    }
    return true;
}

void Loop::begin_iterations(const Now& now, Commands& out) {
    phase_ = Phase::active;
    if (stopping_) {
        end_loop(now, out);
        return;
    }
    const SlotTime at = slot_now(now);
    // In cluster mode every replica's grid starts at the same instant, so slots are the same.
    anchor_ = settings_.epoch_offset ? SlotTime{*settings_.epoch_offset} : at;
    if (last_scheduled_slot_ && !back_to_back()) {
        resume_after(*last_scheduled_slot_, now, out);
        return;
    }
    std::optional<SlotTime> first;
    const IntervalSchedule* interval = settings_.schedule.interval();
    const bool run_at_start =
        interval != nullptr && settings_.run_at_start && !settings_.epoch_offset;
    if (run_at_start || settings_.schedule.at_startup()) {
        first = at;  // run_at_start, and @reboot, whose one slot is the start
    } else {
        first = slot_after(at);
    }
    arm_slot(first, now, out);
}

void Loop::resume_after(SlotTime last_fired, const Now& now, Commands& out) {
    // The same grid (in cluster mode, the epoch's anyway).
    if (settings_.schedule.interval() != nullptr && !settings_.epoch_offset) anchor_ = last_fired;
    const SlotTime at = slot_now(now);
    const std::optional<SlotTime> first_missed = slot_after(last_fired);
    if (!first_missed || *first_missed > at) {
        arm_slot(first_missed, now, out);
        return;
    }
    // Slots passed while no tasksrun ran this task: as with an overrun, never a burst of
    // catch-up runs; misfire = "run-once" runs the latest one late if it is within grace.
    const std::optional<SlotTime> late =
        settings_.misfire_run_once ? latest_slot_within_grace(last_fired, at) : std::nullopt;
    if (late) {
        log(out, {.event = LifecycleEvent::misfire,
                  .loop = next_index_,
                  .scheduled = wall_label(*late, now),
                  .message = "missed while tasksrun was not running; will run once, late"});
        start_or_claim(*late, *late, now, out);
    } else {
        log(out, {.event = LifecycleEvent::misfire,
                  .loop = next_index_,
                  .scheduled = wall_label(*first_missed, now),
                  .message = settings_.misfire_run_once
                                 ? "missed while tasksrun was not running, longer ago than "
                                   "misfire_grace; skipped"
                                 : "missed while tasksrun was not running; skipped"});
    }
    arm_slot(slot_after(at), now, out);
}

std::optional<Loop::SlotTime> Loop::latest_slot_within_grace(SlotTime after, SlotTime now) const {
    const SlotTime window_start = std::max(after, now - settings_.misfire_grace);
    if (const IntervalSchedule* interval = settings_.schedule.interval()) {
        const SlotTime latest =
            anchor_ + ((now - anchor_) / interval->period()) * interval->period();
        return latest > after && latest >= window_start ? std::optional(latest) : std::nullopt;
    }
    // Walks only the grace window; a bound keeps a pathological window finite.
    std::optional<SlotTime> latest;
    std::optional<SlotTime> slot = slot_after(window_start);
    for (int steps = 0; slot && *slot <= now && steps < 1'000'000; ++steps) {
        latest = slot;
        slot = slot_after(*slot);
    }
    return latest;
}

void Loop::arm_slot(std::optional<SlotTime> slot, const Now& now, Commands& out) {
    wall_ahead_ = wall_ahead(now);
    next_slot_ = slot;
    if (!slot) {
        // Nothing will ever fire again (a wall-clock schedule past the tz library's range).
        end_reason_ = EndReason::no_slots;
        request_end(now, out, false);
        maybe_end(now, out);
        return;
    }
    SlotTime fire_at = *slot;
    if (settings_.jitter > Duration::zero()) {
        std::uniform_int_distribution<Duration::rep> pick(0, settings_.jitter.count());
        fire_at += Duration{pick(random_)};
    }
    slot_fire_at_ = fire_at;
    out.push_back(ArmTimer{kSlotTimer, deadline(fire_at)});
}

void Loop::timer_fired(TimerKey key, const Now& now, Commands& out) {
    switch (key.kind) {
        case TimerKey::Kind::slot:
            if (phase_ != Phase::active || stopping_ || !next_slot_) return;
            if (slot_now(now) < slot_fire_at_) {
                // Woke early: never run early.
                out.push_back(ArmTimer{kSlotTimer, deadline(slot_fire_at_)});
                return;
            }
            on_slot_due(now, out);
            return;
        case TimerKey::Kind::retry: {
            const auto it = flights_.find(key.iteration);
            if (it == flights_.end() || !it->second.in_backoff || cancelling_ || dropping_retries_)
                return;
            Flight& flight = it->second;
            if (now.mono < flight.retry_at) {
                out.push_back(ArmTimer{key, flight.retry_at});
                return;
            }
            flight.in_backoff = false;
            ++flight.attempt;
            const Duration lateness = now.mono - flight.retry_at;
            log(out, {.event = LifecycleEvent::iteration_start,
                      .loop = key.iteration,
                      .scheduled = flight.scheduled,
                      .lateness = lateness,
                      .attempt = flight.attempt,
                      .message = "retry"});
            out.push_back(StartAttempt{.iteration = key.iteration,
                                       .attempt = flight.attempt,
                                       .scheduled = flight.scheduled,
                                       .lateness = lateness,
                                       .claim = flight.claim});
            return;
        }
        case TimerKey::Kind::hook_retry:
            if (phase_ == Phase::before_loop && before_loop_in_backoff_ && !stopping_) {
                before_loop_in_backoff_ = false;
                out.push_back(RunHook{HookKind::before_loop, hook_context()});
            }
            return;
    }
}

bool Loop::back_to_back() const {
    const IntervalSchedule* interval = settings_.schedule.interval();
    return interval != nullptr && interval->period() == Duration::zero();
}

void Loop::on_slot_due(const Now& now, Commands& out) {
    const SlotTime slot = *next_slot_;
    const SlotTime at = slot_now(now);
    if (back_to_back()) {
        // Every instant is a slot, so the next one is "as soon as there is room": armed now if
        // there is, else by after_iteration. Never a timer that fires while there is none.
        next_slot_.reset();
        if (flights_.size() < settings_.max_concurrent)
            start_iteration(slot, slot_fire_at_, now, out);
        if (!stopping_ && flights_.size() < settings_.max_concurrent) arm_slot(at, now, out);
        return;
    }
    std::optional<SlotTime> following = slot_after(slot);
    if (following && *following <= at && *following != slot) {
        // The process woke long after the slot (suspend, a wall clock stepped forward, a stalled
        // host): never a burst of catch-up runs.
        log(out, {.event = LifecycleEvent::misfire,
                  .loop = next_index_,
                  .scheduled = wall_label(*following, now),
                  .message = "slots passed while the timer could not fire; skipped"});
        following = slot_after(at);
    }
    if (flights_.size() < settings_.max_concurrent) {
        start_or_claim(slot, slot_fire_at_, now, out);
    } else {
        // In cluster mode too: a replica without room does not claim, so another can.
        record_overrun(slot, now, out);
    }
    if (!stopping_) arm_slot(following, now, out);
}

void Loop::record_overrun(SlotTime slot, const Now& now, Commands& out) {
    const bool retrying = std::ranges::all_of(
        flights_, [](const auto& f) { return f.second.in_backoff || f.second.attempt > 1; });
    std::string what;
    if (retrying) {
        what = "a retry is in progress; the retry takes this slot's place";
    } else if (settings_.misfire_run_once) {
        pending_late_ = slot;
        what = "the previous iteration is still running; will run once, late";
    } else {
        what = "the previous iteration is still running; skipped";
    }
    log(out, {.event = LifecycleEvent::misfire,
              .loop = next_index_,
              .scheduled = wall_label(slot, now),
              .message = std::move(what)});
}

void Loop::start_or_claim(SlotTime slot, SlotTime due, const Now& now, Commands& out) {
    if (!settings_.claim_slots) {
        start_iteration(slot, due, now, out);
        return;
    }
    const Instant label = wall_label(slot, now);
    pending_claims_[label] = PendingClaim{slot, due};
    out.push_back(ClaimSlot{label});
}

bool Loop::slot_claimed(Instant slot, ClaimResult result, std::uint64_t fence, const Now& now,
                        Commands& out) {
    const auto it = pending_claims_.find(slot);
    if (it == pending_claims_.end()) return false;
    const PendingClaim pending = it->second;
    pending_claims_.erase(it);
    switch (result) {
        case ClaimResult::won:
            if (phase_ != Phase::active || stopping_ ||
                flights_.size() >= settings_.max_concurrent) {
                return false;
            }
            start_iteration(pending.slot, pending.due, now, out, true, SlotClaim{slot, fence});
            return true;
        case ClaimResult::taken:
        case ClaimResult::config_differs:
            return false;
        case ClaimResult::unreachable:
            break;
    }
    // Nothing can run a slot the database cannot be asked about: a misfire, as for a daemon
    // that was down.
    std::string what = "the cluster's database did not answer; ";
    if (settings_.misfire_run_once && !stopping_) {
        if (!pending_late_ || *pending_late_ < pending.slot) pending_late_ = pending.slot;
        what += "will run once, late, when it does";
    } else {
        what += "skipped";
    }
    log(out, {.event = LifecycleEvent::misfire,
              .loop = next_index_,
              .scheduled = slot,
              .message = std::move(what)});
    return false;
}

void Loop::retry_late(const Now& now, Commands& out) {
    if (phase_ == Phase::active && !stopping_) run_pending_late(now, out);
}

std::optional<std::string> Loop::run_taken_over(SlotClaim claim, const Now& now, Commands& out) {
    if (phase_ != Phase::active || stopping_) return "the loop is not running its iterations";
    if (flights_.size() >= settings_.max_concurrent) {
        if (pending_takeover_) {
            return "an iteration is running and another slot taken over already waits for it";
        }
        pending_takeover_ = claim;
        log(out, {.event = LifecycleEvent::misfire,
                  .loop = next_index_,
                  .scheduled = claim.slot,
                  .message = "taken over from a replica that stopped; runs when the running "
                             "iteration ends"});
        return std::nullopt;
    }
    const SlotTime slot = slot_at(claim.slot, now);
    start_iteration(slot, slot, now, out, false, claim);
    return std::nullopt;
}

void Loop::run_pending_takeover(const Now& now, Commands& out) {
    if (!pending_takeover_ || flights_.size() >= settings_.max_concurrent) return;
    const SlotClaim claim = *pending_takeover_;
    pending_takeover_.reset();
    const SlotTime slot = slot_at(claim.slot, now);
    start_iteration(slot, slot, now, out, false, claim);
}

void Loop::start_iteration(SlotTime slot, SlotTime due, const Now& now, Commands& out,
                           bool on_schedule, std::optional<SlotClaim> claim) {
    const std::uint64_t iteration = next_index_++;
    const Instant scheduled = wall_label(slot, now);
    flights_[iteration] =
        Flight{.attempt = 1, .scheduled = scheduled, .started = now.mono, .claim = claim};
    if (on_schedule) {
        last_scheduled_ = scheduled;
        last_scheduled_slot_ = slot;
    }
    const Duration lateness = std::max(Duration::zero(), slot_now(now) - due);
    log(out, {.event = LifecycleEvent::iteration_start,
              .loop = iteration,
              .scheduled = scheduled,
              .lateness = lateness,
              .attempt = 1U,
              .message = on_schedule ? "" : "run-now"});
    out.push_back(StartAttempt{iteration, 1, scheduled, lateness, on_schedule, claim});
    // `count` counts iterations started, so that overlapping ones cannot run past it; the last
    // ones still finish, retries included.
    if (on_schedule && settings_.count && ++started_on_schedule_ >= *settings_.count) {
        end_reason_ = EndReason::count;
        request_end(now, out, false);
    }
}

std::optional<std::string> Loop::run_now(const Now& now, Commands& out) {
    if (phase_ != Phase::active || stopping_) {
        return "the loop is not running its iterations (state " + std::string(to_string(state())) +
               (stopping_ && phase_ == Phase::active ? ", stopping" : "") + ")";
    }
    if (flights_.size() >= settings_.max_concurrent)
        return "an iteration is already running and overlap leaves no room for another";
    start_iteration(slot_now(now), slot_now(now), now, out, false);
    return std::nullopt;
}

void Loop::attempt_finished(std::uint64_t iteration, const Outcome& outcome, const Now& now,
                            Commands& out) {
    const auto it = flights_.find(iteration);
    if (it == flights_.end() || it->second.in_backoff) return;
    Flight& flight = it->second;
    LifecycleRecord end{.event = LifecycleEvent::iteration_end,
                        .loop = iteration,
                        .scheduled = flight.scheduled,
                        .duration = outcome.duration,
                        .attempt = flight.attempt};
    if (outcome.cancelled || cancelling_) {
        // Why, when it is more than the word: e.g. a cluster replica that no longer holds the slot.
        const std::string why = outcome.error.empty() || outcome.error == "cancelled"
                                    ? std::string("cancelled")
                                    : "cancelled: " + outcome.error;
        end.message = why;
        log(out, std::move(end));
        out.push_back(RecordRun{iteration, flight.attempt, RunStatus::cancelled,
                                now.mono - flight.started, outcome.failure, why, flight.claim});
        flights_.erase(it);
        maybe_end(now, out);
        return;
    }
    if (outcome.failure) {
        end.failure_class = to_string(*outcome.failure);
        end.message = outcome.error;
        log(out, std::move(end));
        handle_failure(iteration, flight, outcome, now, out);
        return;
    }
    end.message = "ok";
    log(out, std::move(end));
    const Flight done = flight;
    flights_.erase(it);
    iteration_succeeded(iteration, done, outcome, now, out);
}

void Loop::iteration_succeeded(std::uint64_t iteration, const Flight& flight,
                               const Outcome& outcome, const Now& now, Commands& out) {
    out.push_back(RecordRun{iteration,
                            flight.attempt,
                            RunStatus::ok,
                            now.mono - flight.started,
                            std::nullopt,
                            {},
                            flight.claim});
    backoff_.reset();
    if (settings_.has_on_success) {
        out.push_back(RunHook{HookKind::on_success, hook_context(iteration, flight, outcome)});
    }
    if (failed_in_a_row_ > 0 && settings_.has_on_recover) {
        HookContext context = hook_context(iteration, flight, outcome);
        context.failed_iterations = failed_in_a_row_;
        context.down_since = down_since_;
        out.push_back(RunHook{HookKind::on_recover, std::move(context)});
    }
    failed_in_a_row_ = 0;
    down_since_.reset();
    after_iteration(now, out);
}

Duration Loop::retry_delay(const Outcome& outcome) {
    const Duration delay =
        outcome.retry_after ? *outcome.retry_after : backoff_.next_delay(random_);
    return std::max(delay, kMinRetryDelay);
}

bool Loop::is_handled(const FailureClass& failure, std::uint64_t retries_so_far) const {
    if (!settings_.reconnect) return false;
    if (settings_.max_retries && retries_so_far >= *settings_.max_retries) return false;
    if (!settings_.retry_on) return false;
    return std::ranges::any_of(*settings_.retry_on,
                               [&](const FailurePattern& p) { return p.matches(failure); });
}

void Loop::handle_failure(std::uint64_t iteration, Flight& flight, const Outcome& outcome,
                          const Now& now, Commands& out) {
    const FailureClass& failure = *outcome.failure;
    const bool handled = is_handled(failure, flight.retries);
    if (handled && !dropping_retries_) {
        // Handled: retry the same iteration; the schedule does not move.
        const Duration delay = retry_delay(outcome);
        ++flight.retries;
        flight.in_backoff = true;
        flight.retry_at = now.mono + delay;
        flight.last_failure = failure;
        flight.last_error = outcome.error;
        log(out, {.event = LifecycleEvent::retry,
                  .loop = iteration,
                  .scheduled = flight.scheduled,
                  .attempt = flight.attempt,
                  .failure_class = to_string(failure),
                  .delay = delay,
                  .message = outcome.error});
        out.push_back(RecordRun{iteration, flight.attempt, RunStatus::retrying,
                                now.mono - flight.started, failure, outcome.error, flight.claim});
        out.push_back(ArmTimer{retry_timer(iteration), flight.retry_at});
        return;
    }
    std::string message = outcome.error;
    if (handled) {
        message += " (not retried: the loop is stopping)";
    } else if (flight.retries > 0) {
        message += " (gave up after " + std::to_string(flight.retries) + " retries)";
    }
    log(out, {.event = LifecycleEvent::error,
              .loop = iteration,
              .scheduled = flight.scheduled,
              .attempt = flight.attempt,
              .failure_class = to_string(failure),
              .message = message});
    out.push_back(RecordRun{iteration, flight.attempt, RunStatus::failed, now.mono - flight.started,
                            failure, message, flight.claim});
    const HookContext context = hook_context(iteration, flight, outcome);
    flights_.erase(iteration);  // `flight` is gone from here on
    if (++failed_in_a_row_ == 1) down_since_ = now.wall;
    if (settings_.has_on_error && (!settings_.on_error_first || failed_in_a_row_ == 1)) {
        out.push_back(RunHook{HookKind::on_error, context});
    }
    if (settings_.stop_on_error) {
        failed_ = true;
        end_reason_ = EndReason::error_policy;
        request_end(now, out, true);
    }
    after_iteration(now, out);
}

void Loop::after_iteration(const Now& now, Commands& out) {
    if (stopping_) {
        maybe_end(now, out);
        return;
    }
    if (back_to_back() && !next_slot_) {
        arm_slot(slot_now(now), now, out);
        return;
    }
    run_pending_takeover(now, out);
    run_pending_late(now, out);
}

void Loop::run_pending_late(const Now& now, Commands& out) {
    if (!pending_late_ || flights_.size() >= settings_.max_concurrent) return;
    const SlotTime late = *pending_late_;
    pending_late_.reset();
    if (slot_now(now) - late <= settings_.misfire_grace) {
        start_or_claim(late, late, now, out);
    } else {
        log(out, {.event = LifecycleEvent::misfire,
                  .loop = next_index_,
                  .scheduled = wall_label(late, now),
                  .message = "older than misfire_grace; skipped"});
    }
}

void Loop::request_end(const Now& now, Commands& out, bool drop_retries) {
    if (!stopping_) out.push_back(DisarmTimer{kSlotTimer});
    stopping_ = true;
    pending_late_.reset();
    // Not released: its lease runs out, and another replica takes the slot over again.
    pending_takeover_.reset();
    if (drop_retries) {
        dropping_retries_ = true;
        drop_pending_retries(RunStatus::stopped, now, out);
    }
}

void Loop::drop_pending_retries(RunStatus status, const Now& now, Commands& out) {
    for (auto it = flights_.begin(); it != flights_.end();) {
        const Flight& flight = it->second;
        if (!flight.in_backoff) {
            ++it;
            continue;
        }
        out.push_back(DisarmTimer{retry_timer(it->first)});
        const std::string what(to_string(status));
        log(out,
            {.event = LifecycleEvent::iteration_end,
             .loop = it->first,
             .scheduled = flight.scheduled,
             .attempt = flight.attempt,
             .failure_class = flight.last_failure ? std::optional(to_string(*flight.last_failure))
                                                  : std::nullopt,
             .message = what + " while waiting to retry; the retry is dropped"});
        out.push_back(RecordRun{
            it->first, flight.attempt, status, now.mono - flight.started, flight.last_failure,
            what + " while waiting to retry after: " + flight.last_error, flight.claim});
        it = flights_.erase(it);
    }
}

void Loop::maybe_end(const Now& now, Commands& out) {
    if (phase_ == Phase::active && stopping_ && flights_.empty()) end_loop(now, out);
}

void Loop::end_loop(const Now& now, Commands& out) {
    next_slot_.reset();
    phase_ = Phase::after_loop;
    log(out, {.event = LifecycleEvent::after_loop, .loop = current_loop()});
    if (settings_.has_after_loop) {
        out.push_back(RunHook{HookKind::after_loop, hook_context()});
    } else {
        finish(now, out);
    }
}

void Loop::finish(const Now& now, Commands& out) {
    phase_ = failed_ ? Phase::failed : Phase::finished;
    log(out, {.event = LifecycleEvent::finished,
              .loop = current_loop(),
              .message = std::string(cancelling_ ? "cancelled" : describe(end_reason_))});
    cancelling_ = false;
    if (restart_pending_) {
        restart_pending_ = false;
        start(now, out);
    }
}

void Loop::stop(const Now& now, Commands& out) {
    if (phase_ != Phase::before_loop && phase_ != Phase::active) return;
    if (dropping_retries_) return;  // already stopping; `count` alone lets retries finish
    log(out, {.event = LifecycleEvent::stop, .loop = current_loop()});
    end_reason_ = EndReason::stopped;
    request_end(now, out, true);
    if (phase_ == Phase::before_loop && before_loop_in_backoff_) {
        // before_loop waits to retry: nothing runs, so the loop ends now.
        before_loop_in_backoff_ = false;
        out.push_back(DisarmTimer{kHookRetryTimer});
        end_loop(now, out);
        return;
    }
    maybe_end(now, out);
}

void Loop::cancel(const Now& now, Commands& out) {
    if (phase_ != Phase::before_loop && phase_ != Phase::active) return;
    if (cancelling_) return;
    log(out, {.event = LifecycleEvent::cancel, .loop = current_loop()});
    request_end(now, out, false);
    dropping_retries_ = true;
    cancelling_ = true;
    if (phase_ == Phase::before_loop) {
        out.push_back(DisarmTimer{kHookRetryTimer});
        if (before_loop_in_backoff_) {
            before_loop_in_backoff_ = false;
            end_loop(now, out);
            return;
        }
        out.push_back(AbortAttempts{});  // the running before_loop hook; it reports back
        return;
    }
    drop_pending_retries(RunStatus::cancelled, now, out);
    if (!flights_.empty()) out.push_back(AbortAttempts{});
    maybe_end(now, out);
}

void Loop::restart(const Now& now, Commands& out) {
    if (!is_running()) {
        start(now, out);
        return;
    }
    restart_pending_ = true;
    cancel(now, out);
}

void Loop::change_schedule(Schedule schedule, const Now& now, Commands& out) {
    const bool was_monotonic = monotonic_slots();
    settings_.schedule = std::move(schedule);
    if (was_monotonic != monotonic_slots()) {
        // From an interval to time or cron, or back: the slots move to the other clock.
        last_scheduled_slot_.reset();
        if (last_scheduled_) last_scheduled_slot_ = slot_at(*last_scheduled_, now);
        anchor_ = slot_now(now);
        pending_late_.reset();
    }
    log(out, {.event = LifecycleEvent::interval_changed,
              .loop = current_loop(),
              .message = settings_.schedule.describe()});
    if (phase_ != Phase::active || stopping_) return;
    std::optional<SlotTime> next;
    if (settings_.schedule.interval() != nullptr && settings_.epoch_offset) {
        // Cluster mode: every replica's grid stays the epoch's (plus offset), whichever slot each
        // last ran, so that the replicas still compute the same slots.
        anchor_ = SlotTime{*settings_.epoch_offset};
        next = slot_after(slot_now(now));
    } else if (const auto* interval = settings_.schedule.interval()) {
        // The grid restarts at the last scheduled slot, with the new period.
        anchor_ = last_scheduled_slot_.value_or(anchor_);
        next = last_scheduled_slot_ ? anchor_ + interval->period() : slot_after(slot_now(now));
    } else {
        next = slot_after(slot_now(now));
    }
    arm_slot(next, now, out);
}

void Loop::hook_finished(HookKind kind, const Outcome& outcome, const Now& now, Commands& out) {
    // The runtime logs every hook's end with its outcome; only a failed before_loop matters here.
    if (kind == HookKind::after_loop && phase_ == Phase::after_loop) {
        finish(now, out);
        return;
    }
    if (kind != HookKind::before_loop || phase_ != Phase::before_loop) return;
    if (cancelling_ || outcome.ok()) {
        begin_iterations(now, out);  // ends at once when stopping or cancelling
        return;
    }
    if (!stopping_ && outcome.failure && is_handled(*outcome.failure, before_loop_retries_)) {
        ++before_loop_retries_;
        const Duration delay = retry_delay(outcome);
        before_loop_in_backoff_ = true;
        log(out, {.event = LifecycleEvent::retry,
                  .loop = 0,
                  .failure_class = to_string(*outcome.failure),
                  .delay = delay,
                  .message = "before_loop: " + outcome.error});
        out.push_back(ArmTimer{kHookRetryTimer, now.mono + delay});
        return;
    }
    std::string message = "before_loop hook failed: " + outcome.error;
    if (before_loop_retries_ > 0)
        message += " (gave up after " + std::to_string(before_loop_retries_) + " retries)";
    log(out, {.event = LifecycleEvent::error,
              .loop = 0,
              .failure_class =
                  outcome.failure ? std::optional(to_string(*outcome.failure)) : std::nullopt,
              .message = std::move(message)});
    failed_ = true;
    end_reason_ = EndReason::before_loop;
    stopping_ = true;
    end_loop(now, out);
}

}  // namespace tasksrun

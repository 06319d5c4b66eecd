#include "runtime/task_runner.hpp"

#include <type_traits>

#include "runtime/reboot.hpp"
#include "state/state_store.hpp"

namespace tasksrun {
namespace {

// How late a task's timers may fire, so that timers due close together share one wake of the
// process. A webhook task may be up to 1 ms late: at a thousand webhooks a second, each timer
// waking the process on its own made context switches the largest single cost in a profile,
// and a post's own round trip is far longer. A command task is exact: spawning its process
// costs more than the wake, and its lateness budget is smaller.
constexpr Duration kWebhookTimerAccuracy = std::chrono::milliseconds{1};
constexpr Duration kCommandTimerAccuracy = Duration{1};

std::pair<int, std::uint64_t> timer_id(TimerKey key) {
    return {static_cast<int>(key.kind), key.iteration};
}

// Observability: how /metrics names the way an attempt ended.
std::string attempt_class(const Outcome& outcome) {
    if (outcome.cancelled) return "cancelled";
    return outcome.failure ? to_string(*outcome.failure) : "ok";
}

// Observability: the time between slots, after `next`.
std::optional<Duration> slot_interval(const Schedule& schedule, std::optional<Instant> next) {
    if (const IntervalSchedule* interval = schedule.interval()) return interval->period();
    if (!next) return std::nullopt;
    const auto after = schedule.next_after(*next, *next);
    return after ? std::optional(*after - *next) : std::nullopt;
}

}  // namespace

LoopSettings loop_settings(const TaskConfig& task, Replication replication) {
    const auto has = [&](HookKind kind) { return task.hooks.get(kind) != nullptr; };
    const bool cluster = replication == Replication::cluster;
    return LoopSettings{.schedule = task.schedule,
                        .run_at_start = task.run_at_start,
                        .count = task.count,
                        .reconnect = task.reconnect,
                        .retry_on = task.retry_on,
                        .max_retries = task.max_retries,
                        .stop_on_error = task.on_error == AfterError::stop_loop,
                        .on_error_first = task.on_error_first,
                        .max_concurrent = task.max_concurrent,
                        .misfire_run_once = task.misfire == Misfire::run_once,
                        .epoch_offset = cluster && task.schedule.interval() != nullptr
                                            ? std::optional<Duration>(task.offset)
                                            : std::nullopt,
                        .claim_slots = cluster,
                        .misfire_grace = task.misfire_grace,
                        .jitter = task.jitter,
                        .has_before_loop = has(HookKind::before_loop),
                        .has_after_loop = has(HookKind::after_loop),
                        .has_on_error = has(HookKind::on_error),
                        .has_on_success = has(HookKind::on_success),
                        .has_on_recover = has(HookKind::on_recover)};
}

Replication replication_of(const Config& config) {
    return config.settings.cluster ? Replication::cluster : Replication::alone;
}

TaskRunner::TaskRunner(const TaskServices& services, std::shared_ptr<const Generation> generation,
                       const TaskConfig& task, LoopSettings settings, std::uint64_t seed,
                       SettleListener* listener)
    : services_(services),
      generation_(std::move(generation)),
      task_(&task),
      loop_(std::move(settings), seed),
      listener_(listener) {}

TaskRunner::~TaskRunner() {
    if (pings_in_flight_ > 0) env().cancel_pings(this);
    if (claims_in_flight_ > 0) env().slot_claims()->cancel(this);
}

template <typename Tell>
auto TaskRunner::drive(Tell tell) {
    Commands out;
    const Now now = env().now();
    if constexpr (std::is_void_v<std::invoke_result_t<Tell, const Now&, Commands&>>) {
        tell(now, out);
        execute(std::move(out));
        after_event();
    } else {
        auto answer = tell(now, out);
        execute(std::move(out));
        after_event();
        return answer;
    }
}

bool TaskRunner::start(std::optional<Instant> last_fired) {
    if (task_->schedule.at_startup() && !loop_.is_running()) {
        last_fired = reboot_resume_point(services_.store, services_.logger, task_->name, last_fired,
                                         env().now().wall);
    }
    const bool started =
        drive([&](const Now& now, Commands& out) { return loop_.start(now, out, last_fired); });
    if (!started) {
        services_.logger.message(LogLevel::warn, "start refused: the loop is already running",
                                 task_->name);
    }
    return started;
}

void TaskRunner::stop() {
    drive([&](const Now& now, Commands& out) { loop_.stop(now, out); });
}

void TaskRunner::cancel() {
    drive([&](const Now& now, Commands& out) { loop_.cancel(now, out); });
}

void TaskRunner::restart() {
    drive([&](const Now& now, Commands& out) { loop_.restart(now, out); });
}

void TaskRunner::change_schedule(Schedule schedule) {
    drive([&](const Now& now, Commands& out) {
        loop_.change_schedule(std::move(schedule), now, out);
    });
}

std::optional<std::string> TaskRunner::run_now() {
    return drive([&](const Now& now, Commands& out) { return loop_.run_now(now, out); });
}

void TaskRunner::retry_late() {
    drive([&](const Now& now, Commands& out) { loop_.retry_late(now, out); });
}

std::optional<std::string> TaskRunner::run_taken_over(const SlotClaim& claim) {
    return drive(
        [&](const Now& now, Commands& out) { return loop_.run_taken_over(claim, now, out); });
}

void TaskRunner::rebind(std::shared_ptr<const Generation> generation, const TaskConfig& task) {
    generation_ = std::move(generation);
    task_ = &task;
}

bool TaskRunner::settled() const {
    return !loop_.is_running() && attempts_.empty() && !hook_ && hook_queue_.empty() &&
           pings_in_flight_ == 0 && claims_in_flight_ == 0;
}

TaskSnapshot TaskRunner::snapshot(bool describe_schedule) const {
    TaskSnapshot snapshot{.name = task_->name,
                          .state = to_string(loop_.state()),
                          .schedule = describe_schedule ? loop_.schedule().describe() : "",
                          .next_run = next_iteration(),
                          .running = static_cast<unsigned>(attempts_.size()),
                          .failed = loop_.failed()};
    snapshot.interval = slot_interval(loop_.schedule(), snapshot.next_run);
    if (last_run_) {
        snapshot.last = LastOutcome{.loop = last_run_->loop,
                                    .outcome = last_run_->outcome,
                                    .failure_class = last_run_->failure_class,
                                    .ended = last_run_->ended,
                                    .duration = last_run_->duration};
    }
    return snapshot;
}

void TaskRunner::after_event() {
    // Only a runner that has settled can let the daemon finish; telling it after every event
    // would make each event cost a scan of every task.
    if (listener_ != nullptr && settled()) listener_->on_runner_settled();
}

void TaskRunner::execute(Commands commands, const Outcome* outcome) {
    for (Command& command : commands) {
        if (const auto* arm_command = std::get_if<ArmTimer>(&command)) {
            arm(*arm_command);
        } else if (const auto* disarm = std::get_if<DisarmTimer>(&command)) {
            timers_.erase(timer_id(disarm->key));
        } else if (const auto* start_command = std::get_if<StartAttempt>(&command)) {
            start_attempt(*start_command);
        } else if (std::holds_alternative<AbortAttempts>(command)) {
            abort_running();
        } else if (auto* hook = std::get_if<RunHook>(&command)) {
            hook_queue_.push_back(std::move(*hook));
            if (!hook_) run_next_hook();
        } else if (const auto* log = std::get_if<Log>(&command)) {
            services_.logger.lifecycle(task_->name, log->record);
        } else if (const auto* record = std::get_if<RecordRun>(&command)) {
            record_run(*record, outcome);
        } else if (const auto* claim = std::get_if<ClaimSlot>(&command)) {
            claim_slot(*claim);
        }
    }
}

void TaskRunner::arm(const ArmTimer& command) {
    const TimerKey key = command.key;
    const Duration accuracy = std::holds_alternative<WebhookAction>(task_->action)
                                  ? kWebhookTimerAccuracy
                                  : kCommandTimerAccuracy;
    // Absolute, on the timer's own clock: a wall-clock slot follows clock steps, an interval's
    // slot or a retry does not move with them.
    timers_[timer_id(key)] = env().timer(command.at, accuracy, [this, key] {
        drive([&](const Now& now, Commands& out) { loop_.timer_fired(key, now, out); });
    });
}

LaunchContext TaskRunner::launch_context(std::uint64_t loop,
                                         std::optional<Instant> scheduled) const {
    return LaunchContext{.task = task_,
                         .endpoints = &generation_->endpoints,
                         .loop = loop,
                         .scheduled = scheduled,
                         .timeout = task_->timeout};
}

void TaskRunner::start_attempt(const StartAttempt& command) {
    const std::uint64_t iteration = command.iteration;
    const Now now = env().now();
    if (command.attempt == 1) {
        record_start(command, now.wall);
        send_ping(PingKind::start, {});
    }
    Running& running = attempts_[iteration];
    running.started = now.mono;
    running.pinned = generation_;
    SlotClaims* claims = env().slot_claims();
    if (!command.claim || claims == nullptr) {
        launch_attempt(command);
        return;
    }
    // Cluster mode: an attempt starts only while this replica still holds the slot, by the
    // database's clock; until it knows, the attempt is there without an action.
    ++claims_in_flight_;
    claims->begin_attempt(task_->name, *command.claim, command.attempt, iteration, this,
                          [this, command](bool held, const std::string& why) {
                              --claims_in_flight_;
                              if (held) {
                                  launch_attempt(command);
                              } else {
                                  attempt_ended(
                                      command.iteration,
                                      Outcome{.error = "not run: " + why, .cancelled = true});
                              }
                              after_event();
                          });
}

void TaskRunner::launch_attempt(const StartAttempt& command) {
    const std::uint64_t iteration = command.iteration;
    LaunchContext context = launch_context(iteration, command.scheduled);
    context.attempt = command.attempt;
    context.claim = command.claim;
    if (const SlotClaims* claims = env().slot_claims()) context.replica = claims->replica();
    attempts_[iteration].run =
        env().launch(task_->action, context, [this, iteration](Outcome outcome) {
            attempt_ended(iteration, std::move(outcome));
            after_event();
        });
}

void TaskRunner::attempt_ended(std::uint64_t iteration, Outcome outcome) {
    auto it = attempts_.find(iteration);
    const Now finished = env().now();
    outcome.duration = finished.mono - it->second.started;
    if (it->second.run) env().destroy_later(std::move(it->second.run));
    attempts_.erase(it);
    Commands out;
    loop_.attempt_finished(iteration, outcome, finished, out);
    execute(std::move(out), &outcome);
}

void TaskRunner::claim_slot(const ClaimSlot& command) {
    SlotClaims* claims = env().slot_claims();
    ++claims_in_flight_;
    claims->claim(task_->name, command.slot, task_->fingerprint, this,
                  [this, slot = command.slot](ClaimResult result, std::uint64_t fence) {
                      --claims_in_flight_;
                      const bool started = drive([&](const Now& now, Commands& out) {
                          return loop_.slot_claimed(slot, result, fence, now, out);
                      });
                      // Won by a loop that stopped meanwhile: let the cluster know nobody
                      // runs it here.
                      if (result == ClaimResult::won && !started)
                          env().slot_claims()->release(task_->name, SlotClaim{slot, fence});
                  });
}

void TaskRunner::record_start(const StartAttempt& command, Instant now) {
    if (Observer* observer = services_.observer)  // observability
        observer->iteration_started(task_->name, command.lateness);
    StateStore* store = services_.store;
    if (store == nullptr) return;
    auto written = store->iteration_started(task_->name, command.iteration, command.scheduled, now,
                                            command.lateness, command.on_schedule);
    if (!written) services_.logger.message(LogLevel::error, written.error(), task_->name);
}

void TaskRunner::record_run(const RecordRun& command, const Outcome* outcome) {
    const std::string_view status = to_string(command.status);
    const std::string failure_class = command.failure ? to_string(*command.failure) : "";
    if (!last_run_) last_run_ = std::make_unique<LastRun>();
    *last_run_ = LastRun{command.iteration, env().now().wall, command.elapsed, std::string(status),
                         failure_class};
    if (Observer* observer = services_.observer) {  // observability
        if (outcome != nullptr) observer->attempt_ended(task_->name, attempt_class(*outcome));
        if (command.status != RunStatus::retrying)
            observer->iteration_ended(task_->name, command.status, command.elapsed,
                                      last_run_->ended);
    }
    if (SlotClaims* claims = env().slot_claims();
        claims != nullptr && command.claim && command.status != RunStatus::retrying) {
        claims->finish(task_->name, *command.claim, command);
    }
    if (StateStore* store = services_.store) {
        auto written =
            store->iteration_ended(task_->name, command.iteration, command.attempts, status,
                                   failure_class, command.message, command.elapsed);
        if (!written) services_.logger.message(LogLevel::error, written.error(), task_->name);
    }
    const std::string tail = outcome != nullptr ? outcome->output_tail : std::string();
    if (command.status == RunStatus::ok) send_ping(PingKind::success, tail);
    if (command.status == RunStatus::failed)
        send_ping(PingKind::fail, tail.empty() ? command.message : tail);
}

void TaskRunner::send_ping(PingKind kind, std::string body) {
    if (!task_->ping || !services_.send_pings) return;
    ++pings_in_flight_;
    env().ping(generation_->endpoints.pings.at(*task_->ping), kind, std::move(body), task_->name,
               this, [this] {
                   --pings_in_flight_;
                   after_event();
               });
}

void TaskRunner::abort_running() {
    std::vector<std::uint64_t> unchecked;  // attempts still waiting to hear their claim is held
    for (auto& [iteration, attempt] : attempts_) {
        if (attempt.run) {
            attempt.run->abort();
        } else {
            unchecked.push_back(iteration);
        }
    }
    if (claims_in_flight_ > 0) {
        env().slot_claims()->cancel(this);
        claims_in_flight_ = 0;
    }
    // Reported later, as an aborted action reports, not from inside the Loop's own commands.
    if (!unchecked.empty()) {
        cancel_unchecked_ = env().defer([this, unchecked] {
            cancel_unchecked_.reset();
            for (const std::uint64_t iteration : unchecked)
                attempt_ended(iteration, Outcome{.error = "cancelled", .cancelled = true});
            after_event();
        });
    }
    if (pings_in_flight_ > 0) {
        env().cancel_pings(this);
        pings_in_flight_ = 0;
    }
    // Notifications that have not started yet are dropped; after_loop still runs.
    std::erase_if(hook_queue_, [](const RunHook& h) { return h.kind != HookKind::after_loop; });
    if (hook_ && hook_->kind != HookKind::after_loop) hook_->running.run->abort();
}

void TaskRunner::run_next_hook() {
    if (hook_queue_.empty()) return;
    RunHook next = std::move(hook_queue_.front());
    hook_queue_.erase(hook_queue_.begin());
    const Hook& hook = *task_->hooks.get(next.kind);
    const HookKind kind = next.kind;
    // Read while launching (environment or template values), so it need not outlive this call.
    const HookContext hook_context = std::move(next.context);
    LaunchContext context = launch_context(hook_context.loop, hook_context.scheduled);
    context.hook = kind;
    context.hook_context = &hook_context;
    context.timeout = hook.timeout;
    const std::uint64_t loop = hook_context.loop;
    services_.logger.lifecycle(task_->name,
                               {.event = LifecycleEvent::hook_start, .loop = loop, .hook = kind});
    auto done = [this, kind, loop](Outcome outcome) {
        const Now now = env().now();
        outcome.duration = now.mono - hook_->running.started;
        env().destroy_later(std::move(hook_->running.run));
        hook_.reset();
        services_.logger.lifecycle(
            task_->name,
            {.event = LifecycleEvent::hook_end,
             .loop = loop,
             .hook = kind,
             .duration = outcome.duration,
             .failure_class =
                 outcome.failure ? std::optional(to_string(*outcome.failure)) : std::nullopt,
             .message = outcome.cancelled ? "cancelled"
                        : outcome.ok()    ? "ok"
                                          : outcome.error});
        Commands out;
        loop_.hook_finished(kind, outcome, now, out);
        execute(std::move(out));
        if (!hook_) run_next_hook();
        after_event();
    };
    hook_ =
        std::make_unique<HookRun>(HookRun{kind, Running{nullptr, env().now().mono, generation_}});
    hook_->running.run = env().launch(hook.action, context, std::move(done));
}

}  // namespace tasksrun

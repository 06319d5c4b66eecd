#include "runtime/task_runner.hpp"

#include "runtime/clock.hpp"

namespace tasksrun {
namespace {

std::pair<int, std::uint64_t> timer_id(TimerKey key) {
    return {static_cast<int>(key.kind), key.iteration};
}

const Hook* hook_of(const TaskConfig& task, HookKind kind) {
    switch (kind) {
        case HookKind::before_loop:
            return task.hooks.before_loop.get();
        case HookKind::after_loop:
            return task.hooks.after_loop.get();
        case HookKind::on_error:
            return task.hooks.on_error.get();
        case HookKind::on_success:
            break;
    }
    return task.hooks.on_success.get();
}

}  // namespace

LoopSettings loop_settings(const TaskConfig& task) {
    return LoopSettings{.schedule = task.schedule,
                        .run_at_start = task.run_at_start,
                        .count = task.count,
                        .reconnect = task.reconnect,
                        .retry_on = task.retry_on,
                        .max_retries = task.max_retries,
                        .stop_on_error = task.on_error == AfterError::stop_loop,
                        .max_concurrent = task.max_concurrent,
                        .misfire_run_once = task.misfire == Misfire::run_once,
                        .misfire_grace = task.misfire_grace,
                        .jitter = task.jitter,
                        .has_before_loop = task.hooks.before_loop != nullptr,
                        .has_after_loop = task.hooks.after_loop != nullptr,
                        .has_on_error = task.hooks.on_error != nullptr,
                        .has_on_success = task.hooks.on_success != nullptr};
}

TaskRunner::TaskRunner(const RuntimeServices& services, const TaskConfig& task, std::uint64_t seed,
                       std::function<void()> on_settled)
    : services_(services),
      task_(task),
      loop_(loop_settings(task), seed),
      on_settled_(std::move(on_settled)) {}

void TaskRunner::start() {
    Commands out;
    if (!loop_.start(wall_clock_now(), out)) {
        services_.logger.message(LogLevel::warn, "start refused: the loop is already running",
                                 task_.name);
    }
    execute(std::move(out));
}

void TaskRunner::stop() {
    Commands out;
    loop_.stop(wall_clock_now(), out);
    execute(std::move(out));
}

void TaskRunner::cancel() {
    Commands out;
    loop_.cancel(wall_clock_now(), out);
    execute(std::move(out));
}

bool TaskRunner::settled() const {
    return !loop_.is_running() && attempts_.empty() && !hook_ && hook_queue_.empty();
}

void TaskRunner::after_event() {
    // Only a runner that has settled can let the daemon finish; telling it after every event
    // would make each event cost a scan of every task.
    if (on_settled_ && settled()) on_settled_();
}

void TaskRunner::execute(Commands commands) {
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
            services_.logger.lifecycle(task_.name, log->record);
        }
    }
}

void TaskRunner::arm(const ArmTimer& command) {
    const TimerKey key = command.key;
    auto fire = [this, key] {
        Commands out;
        loop_.timer_fired(key, wall_clock_now(), out);
        execute(std::move(out));
        after_event();
    };
    // Wall-clock slots follow the wall clock (clock steps, resume from suspend); intervals and
    // retries are durations, measured on the boot-time clock.
    const bool wall_clock_slot =
        key.kind == TimerKey::Kind::slot && task_.schedule.wall_clock() != nullptr;
    timers_[timer_id(key)] =
        wall_clock_slot
            ? services_.events.wall_clock_timer(command.at, std::move(fire))
            : services_.events.elapsed_timer(command.at - wall_clock_now(), std::move(fire));
}

void TaskRunner::start_attempt(const StartAttempt& command) {
    const std::uint64_t iteration = command.iteration;
    const LaunchContext context{.task = &task_,
                                .loop = iteration,
                                .scheduled = command.scheduled,
                                .attempt = command.attempt,
                                .timeout = task_.timeout};
    auto done = [this, iteration](Outcome outcome) {
        auto it = attempts_.find(iteration);
        outcome.duration = wall_clock_now() - it->second.started;
        retire(std::move(it->second.run));
        attempts_.erase(it);
        Commands out;
        loop_.attempt_finished(iteration, outcome, wall_clock_now(), out);
        execute(std::move(out));
        after_event();
    };
    Running& running = attempts_[iteration];
    running.started = wall_clock_now();
    running.run = launch_action(services_, task_.action, context, std::move(done));
}

void TaskRunner::abort_running() {
    for (auto& [iteration, attempt] : attempts_) attempt.run->abort();
    // Notifications that have not started yet are dropped; after_loop still runs.
    std::erase_if(hook_queue_, [](const RunHook& h) { return h.kind != HookKind::after_loop; });
    if (hook_ && hook_->kind != HookKind::after_loop) hook_->running.run->abort();
}

void TaskRunner::run_next_hook() {
    if (hook_queue_.empty()) return;
    RunHook next = std::move(hook_queue_.front());
    hook_queue_.erase(hook_queue_.begin());
    const Hook& hook = *hook_of(task_, next.kind);
    const HookKind kind = next.kind;
    // Read while launching (environment or template values), so it need not outlive this call.
    const HookContext hook_context = std::move(next.context);
    const LaunchContext context{.task = &task_,
                                .loop = hook_context.loop,
                                .scheduled = hook_context.scheduled,
                                .attempt = 1,
                                .hook = kind,
                                .hook_context = &hook_context,
                                .timeout = hook.timeout};
    auto done = [this, kind](Outcome outcome) {
        outcome.duration = wall_clock_now() - hook_->running.started;
        retire(std::move(hook_->running.run));
        hook_.reset();
        Commands out;
        loop_.hook_finished(kind, outcome, wall_clock_now(), out);
        execute(std::move(out));
        if (!hook_) run_next_hook();
        after_event();
    };
    hook_.emplace(HookRun{kind, Running{nullptr, wall_clock_now()}});
    hook_->running.run = launch_action(services_, hook.action, context, std::move(done));
}

void TaskRunner::retire(std::unique_ptr<ActionRun> run) {
    // Destroyed on the next turn of the event loop, after the event that finished it is done.
    graveyard_.push_back(std::move(run));
    if (!graveyard_sweep_) {
        graveyard_sweep_ = services_.events.defer([this] {
            graveyard_.clear();
            graveyard_sweep_.reset();
        });
    }
}

}  // namespace tasksrun

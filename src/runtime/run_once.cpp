#include "runtime/run_once.hpp"

#include <csignal>
#include <memory>

#include "runtime/action_launcher.hpp"
#include "runtime/clock.hpp"
#include "runtime/daemon.hpp"
#include "runtime/event_loop.hpp"

namespace tasksrun {
namespace {

class OneShot {
  public:
    OneShot(const TaskConfig& task, Logger& logger, const ResolvedEndpoints& endpoints,
            bool with_hooks)
        : task_(task),
          with_hooks_(with_hooks),
          webhooks_(events_, logger),
          pinger_(events_, logger),
          services_{events_, logger, webhooks_, pinger_, endpoints, host_name()} {
        block_child_signals();
        for (const int signal : {SIGTERM, SIGINT}) {
            signals_.push_back(events_.signal(signal, [this](const signalfd_siginfo&) {
                cancelled_ = true;
                if (current_) current_->abort();
            }));
        }
    }

    Outcome run() {
        scheduled_ = wall_clock_now();
        if (const Hook* before_loop = hook(HookKind::before_loop)) {
            run_hook(*before_loop, HookKind::before_loop, [this](const Outcome& before) {
                if (before.ok()) {
                    run_action();
                } else {
                    result_ = before;
                    run_after_loop();
                }
            });
        } else {
            run_action();
        }
        events_.run();
        return result_;
    }

  private:
    using Next = std::function<void(const Outcome&)>;

    // The task's hook of this kind, when hooks are to run and it has one.
    const Hook* hook(HookKind kind) const { return with_hooks_ ? task_.hooks.get(kind) : nullptr; }

    void start(const Action& action, const LaunchContext& context, Next next) {
        if (cancelled_) {
            next(Outcome{.error = "cancelled", .cancelled = true});
            return;
        }
        const Instant started = wall_clock_now();
        current_ =
            launch_action(services_, action, context, [this, started, next](Outcome outcome) {
                outcome.duration = wall_clock_now() - started;
                finished_.push_back(std::move(current_));
                next(outcome);
            });
    }

    void run_hook(const Hook& hook, HookKind kind, Next next) {
        hook_context_ = HookContext{.loop = 0,
                                    .scheduled = scheduled_,
                                    .outcome = action_outcome_,
                                    .attempts = action_outcome_ ? 1U : 0U,
                                    .cancelled = cancelled_,
                                    .failed = !result_.ok() && !result_.cancelled};
        const LaunchContext context{.task = &task_,
                                    .loop = 0,
                                    .scheduled = scheduled_,
                                    .attempt = 1,
                                    .hook = kind,
                                    .hook_context = &hook_context_,
                                    .timeout = hook.timeout};
        start(hook.action, context, [this, kind, next](const Outcome& outcome) {
            if (!outcome.ok()) {
                services_.logger.lifecycle(
                    task_.name,
                    {.event = LifecycleEvent::error,
                     .message = std::string(to_string(kind)) + " hook failed: " + outcome.error});
            }
            next(outcome);
        });
    }

    void run_action() {
        services_.logger.lifecycle(task_.name, {.event = LifecycleEvent::iteration_start,
                                                .scheduled = scheduled_,
                                                .lateness = Duration::zero(),
                                                .attempt = 1U});
        const LaunchContext context{.task = &task_,
                                    .loop = 0,
                                    .scheduled = scheduled_,
                                    .attempt = 1,
                                    .timeout = task_.timeout};
        start(task_.action, context, [this](const Outcome& outcome) {
            result_ = outcome;
            action_outcome_ = outcome;
            services_.logger.lifecycle(
                task_.name,
                {.event = LifecycleEvent::iteration_end,
                 .scheduled = scheduled_,
                 .duration = outcome.duration,
                 .attempt = 1U,
                 .failure_class =
                     outcome.failure ? std::optional(to_string(*outcome.failure)) : std::nullopt,
                 .message = outcome.ok() ? "ok" : outcome.error});
            const HookKind kind = outcome.ok() ? HookKind::on_success : HookKind::on_error;
            const Hook* notify = hook(kind);
            if (notify != nullptr && !outcome.cancelled) {
                run_hook(*notify, kind, [this](const Outcome&) { run_after_loop(); });
            } else {
                run_after_loop();
            }
        });
    }

    void run_after_loop() {
        if (const Hook* after_loop = hook(HookKind::after_loop)) {
            run_hook(*after_loop, HookKind::after_loop, [this](const Outcome&) { done(); });
        } else {
            done();
        }
    }

    void done() {
        quit_ = events_.defer([this] { events_.exit(0); });
    }

    const TaskConfig& task_;
    const bool with_hooks_;
    EventLoop events_;
    WebhookSender webhooks_;
    Pinger pinger_;
    const RuntimeServices services_;
    std::vector<EventSource> signals_;
    std::unique_ptr<ActionRun> current_;
    std::vector<std::unique_ptr<ActionRun>> finished_;
    EventSource quit_;
    Instant scheduled_{};
    Outcome result_;
    std::optional<Outcome> action_outcome_;
    HookContext hook_context_;
    bool cancelled_ = false;
};

}  // namespace

Outcome run_once(const TaskConfig& task, Logger& logger, const ResolvedEndpoints& endpoints,
                 bool with_hooks) {
    OneShot shot(task, logger, endpoints, with_hooks);
    return shot.run();
}

}  // namespace tasksrun

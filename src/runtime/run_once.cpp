#include "runtime/run_once.hpp"

#include <csignal>
#include <deque>
#include <memory>

#include "actions/command_runner.hpp"
#include "runtime/clock.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/task_runner.hpp"

namespace tasksrun {
namespace {

class OneShot {
  public:
    OneShot(const TaskConfig& task, Logger& logger, bool with_hooks)
        : task_(task), logger_(logger), with_hooks_(with_hooks) {
        sigset_t chld;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigprocmask(SIG_BLOCK, &chld, nullptr);
        for (const int signal : {SIGTERM, SIGINT}) {
            signals_.push_back(events_.signal(signal, [this](const signalfd_siginfo&) {
                cancelled_ = true;
                if (current_) current_->abort();
            }));
        }
    }

    Outcome run() {
        scheduled_ = wall_clock_now();
        if (with_hooks_ && task_.hooks.before_loop) {
            run_hook(task_.hooks.before_loop, HookKind::before_loop, [this](const Outcome& before) {
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

    void start(const CommandAction* action, std::vector<std::pair<std::string, std::string>> env,
               std::optional<Duration> timeout, Next next) {
        if (cancelled_) {
            next(Outcome{.error = "cancelled", .cancelled = true});
            return;
        }
        const Instant started = wall_clock_now();
        CommandLaunch launch{.action = action,
                             .environment = std::move(env),
                             .timeout = timeout,
                             .task = task_.name};
        current_ = std::make_unique<CommandRun>(events_, logger_, std::move(launch),
                                                [this, started, next](Outcome outcome) {
                                                    outcome.duration = wall_clock_now() - started;
                                                    finished_.push_back(std::move(current_));
                                                    next(outcome);
                                                });
    }

    void run_hook(const std::shared_ptr<const Hook>& hook, HookKind kind, Next next) {
        HookContext context{.loop = 0,
                            .scheduled = scheduled_,
                            .outcome = hook_outcome_,
                            .cancelled = cancelled_,
                            .failed = !result_.ok() && !result_.cancelled};
        auto env = task_environment(task_.name, 0, scheduled_, 1, &context);
        env.emplace_back("TASKSRUN_HOOK", std::string(to_string(kind)));
        start(std::get_if<CommandAction>(&hook->action), std::move(env), hook->timeout,
              [this, kind, next](const Outcome& outcome) {
                  if (!outcome.ok()) {
                      logger_.lifecycle(task_.name, {.event = "error",
                                                     .message = std::string(to_string(kind)) +
                                                                " hook failed: " + outcome.error});
                  }
                  next(outcome);
              });
    }

    void run_action() {
        logger_.lifecycle(task_.name, {.event = "iteration_start",
                                       .scheduled = scheduled_,
                                       .lateness = Duration::zero(),
                                       .attempt = 1U});
        start(std::get_if<CommandAction>(&task_.action),
              task_environment(task_.name, 0, scheduled_, 1, nullptr), task_.timeout,
              [this](const Outcome& outcome) {
                  result_ = outcome;
                  hook_outcome_ = outcome;
                  logger_.lifecycle(
                      task_.name,
                      {.event = "iteration_end",
                       .scheduled = scheduled_,
                       .duration = outcome.duration,
                       .attempt = 1U,
                       .failure_class = outcome.failure ? std::optional(to_string(*outcome.failure))
                                                        : std::nullopt,
                       .message = outcome.ok() ? "ok" : outcome.error});
                  const auto& notify = outcome.ok() ? task_.hooks.on_success : task_.hooks.on_error;
                  if (with_hooks_ && notify && !outcome.cancelled) {
                      run_hook(notify, outcome.ok() ? HookKind::on_success : HookKind::on_error,
                               [this](const Outcome&) { run_after_loop(); });
                  } else {
                      run_after_loop();
                  }
              });
    }

    void run_after_loop() {
        if (with_hooks_ && task_.hooks.after_loop) {
            run_hook(task_.hooks.after_loop, HookKind::after_loop,
                     [this](const Outcome&) { done(); });
        } else {
            done();
        }
    }

    void done() {
        quit_ = events_.defer([this] { events_.exit(0); });
    }

    const TaskConfig& task_;
    Logger& logger_;
    const bool with_hooks_;
    EventLoop events_;
    std::vector<EventSource> signals_;
    std::unique_ptr<CommandRun> current_;
    std::vector<std::unique_ptr<CommandRun>> finished_;
    EventSource quit_;
    Instant scheduled_{};
    Outcome result_;
    std::optional<Outcome> hook_outcome_;
    bool cancelled_ = false;
};

}  // namespace

Outcome run_once(const TaskConfig& task, Logger& logger, bool with_hooks) {
    OneShot shot(task, logger, with_hooks);
    return shot.run();
}

}  // namespace tasksrun

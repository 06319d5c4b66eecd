#include "runtime/run_once.hpp"

#include <csignal>

#include "runtime/event_loop_env.hpp"
#include "runtime/task_runner.hpp"
#include "util/host_name.hpp"

namespace tasksrun {
namespace {

// The task's Loop as the daemon would run it, for one iteration now.
LoopSettings run_once_settings(const TaskConfig& task, bool with_hooks) {
    // Once, here, now: outside the cluster's slots even in cluster mode.
    LoopSettings settings = loop_settings(task, Replication::alone);
    settings.once = true;
    settings.schedule = Schedule(IntervalSchedule(Duration::zero()));
    settings.count = 1;
    settings.reconnect = false;
    settings.max_concurrent = 1;
    settings.jitter = Duration::zero();
    if (!with_hooks) {
        settings.has_before_loop = settings.has_after_loop = settings.has_on_error =
            settings.has_on_success = settings.has_on_recover = false;
    }
    return settings;
}

class OneShot final : private SettleListener {
  public:
    explicit OneShot(Logger& logger)
        : env_(events_, logger, host_name()), services_{env_, logger, nullptr, false} {
        block_child_signals();
        for (const int signal : {SIGTERM, SIGINT}) {
            signals_.push_back(events_.signal(signal, [this](const signalfd_siginfo&) {
                if (runner_) runner_->cancel();
            }));
        }
    }

    bool run(std::shared_ptr<const Generation> generation, const TaskConfig& task,
             bool with_hooks) {
        SettleListener* listener = this;
        runner_ = std::make_unique<TaskRunner>(services_, std::move(generation), task,
                                               run_once_settings(task, with_hooks), 1, listener);
        runner_->start();
        if (const auto ran = events_.run(); !ran) {
            services_.logger.message(LogLevel::error, "tasksrun must stop: " + ran.error());
            return false;
        }
        const LastRun* last = runner_->last_run();
        return last != nullptr && last->outcome == "ok";
    }

  private:
    void on_runner_settled() override {
        quit_ = events_.defer([this] { events_.exit(0); });
    }

    EventLoop events_;
    EventLoopEnv env_;
    const TaskServices services_;
    std::vector<EventSource> signals_;
    std::unique_ptr<TaskRunner> runner_;
    EventSource quit_;
};

}  // namespace

bool run_once(Config config, const std::string& task, Logger& logger, ResolvedEndpoints endpoints,
              bool with_hooks) {
    auto generation = std::make_shared<const Generation>(std::move(config), std::move(endpoints));
    const auto found = std::ranges::find(generation->config.tasks, task, &TaskConfig::name);
    OneShot shot(logger);
    return shot.run(generation, *found, with_hooks);
}

}  // namespace tasksrun

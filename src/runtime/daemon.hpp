#pragma once
// The foreground daemon: one TaskRunner per enabled task on one event loop, and the signals of
// SPEC 4.2: SIGTERM/SIGINT stop every loop gracefully; past shutdown_timeout, or on a second
// signal, running actions are cancelled.
#include <memory>
#include <vector>

#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "log/logger.hpp"
#include "runtime/action_launcher.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/task_runner.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

// The tasks a daemon runs: the enabled ones, in file order.
std::vector<const TaskConfig*> enabled_tasks(const Config& config);
std::string host_name();

class Daemon {
  public:
    // Precondition: `webhooks` holds every endpoint the enabled tasks use (resolve_webhooks).
    Daemon(const Config& config, Logger& logger, ResolvedWebhooks webhooks);

    // Runs until every loop has ended and every action it started has reported back: after a
    // stop signal (exit code 0), or when no task has anything left to run, each having reached
    // its count or failed (exit code 1 if any failed, else 0).
    int run();

  private:
    void on_stop_signal(int signal);
    void cancel_all(const char* why);
    void check_settled();

    const Config& config_;
    Logger& logger_;
    EventLoop events_;
    WebhookSender webhooks_;
    const ResolvedWebhooks resolved_;
    const RuntimeServices services_;
    std::vector<std::unique_ptr<TaskRunner>> runners_;
    std::vector<EventSource> signals_;
    EventSource shutdown_timer_;
    EventSource settle_check_;
    EventSource log_flush_;
    int stop_signals_ = 0;
    bool exiting_ = false;
};

}  // namespace tasksrun

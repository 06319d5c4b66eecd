#pragma once
// The foreground daemon: one TaskRunner per enabled task on one event loop, and the signals of
// SPEC 4.2: SIGTERM/SIGINT stop every loop gracefully; past shutdown_timeout, or on a second
// signal, running actions are cancelled.
#include <memory>
#include <vector>

#include "config/config.hpp"
#include "log/logger.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/task_runner.hpp"

namespace tasksrun {

class Daemon {
  public:
    Daemon(const Config& config, Logger& logger);

    // Runs until every loop has ended and every process it started has been reaped: after a
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
    std::vector<std::unique_ptr<TaskRunner>> runners_;
    std::vector<EventSource> signals_;
    EventSource shutdown_timer_;
    EventSource settle_check_;
    int stop_signals_ = 0;
    bool exiting_ = false;
};

// What this version cannot run yet (webhook actions), one message per use; empty when all can.
std::vector<std::string> unsupported_actions(const Config& config);

}  // namespace tasksrun

#include "runtime/daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <random>

#include "util/duration.hpp"

namespace tasksrun {

std::vector<const TaskConfig*> enabled_tasks(const Config& config) {
    std::vector<const TaskConfig*> tasks;
    for (const TaskConfig& task : config.tasks) {
        if (task.enabled) tasks.push_back(&task);
    }
    return tasks;
}

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "localhost";
    return name;
}

Daemon::Daemon(const Config& config, Logger& logger, ResolvedWebhooks webhooks)
    : config_(config),
      logger_(logger),
      webhooks_(events_, logger),
      resolved_(std::move(webhooks)),
      services_{events_, logger, webhooks_, resolved_, host_name()} {
    // Children are reaped through sd-event, which needs SIGCHLD blocked before any is started;
    // a command whose reader went away gets EPIPE, not a dead daemon.
    block_child_signals();
    std::signal(SIGPIPE, SIG_IGN);
    for (const int signal : {SIGTERM, SIGINT}) {
        signals_.push_back(events_.signal(
            signal, [this, signal](const signalfd_siginfo&) { on_stop_signal(signal); }));
    }
    // At hundreds of lines a second, a write per line costs more than the work it reports:
    // lines are written in batches, at most 20 ms late.
    logger_.batch([this] {
        log_flush_ =
            events_.elapsed_timer(std::chrono::milliseconds{20}, [this] { logger_.flush(); });
    });
    std::random_device seeds;
    for (const TaskConfig* task : enabled_tasks(config_)) {
        const std::uint64_t seed = (std::uint64_t{seeds()} << 32) | seeds();
        runners_.push_back(
            std::make_unique<TaskRunner>(services_, *task, seed, [this] { check_settled(); }));
    }
}

int Daemon::run() {
    std::size_t disabled = config_.tasks.size() - runners_.size();
    logger_.message(LogLevel::info, "tasksrun " TASKSRUN_VERSION " starting with " +
                                        std::to_string(runners_.size()) + " tasks (" +
                                        std::to_string(disabled) + " disabled) from " +
                                        config_.path);
    for (auto& runner : runners_) runner->start();
    check_settled();
    const int code = events_.run();
    log_flush_.reset();
    logger_.end_batch();  // the event loop that flushed the batches has stopped
    logger_.message(
        LogLevel::info,
        "tasksrun stopped; webhooks: " + std::to_string(webhooks_.requests_completed()) +
            " requests over " + std::to_string(webhooks_.connections_opened()) + " connections");
    return code < 0 ? 1 : code;
}

void Daemon::on_stop_signal(int signal) {
    ++stop_signals_;
    if (stop_signals_ > 1) {
        cancel_all(signal == SIGINT ? "second SIGINT" : "second SIGTERM");
        return;
    }
    logger_.message(LogLevel::info,
                    std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") +
                        ": stopping every loop; running iterations may take up to " +
                        format_duration(config_.settings.shutdown_timeout) +
                        " (send it again to cancel them now)");
    shutdown_timer_ = events_.elapsed_timer(config_.settings.shutdown_timeout,
                                            [this] { cancel_all("shutdown_timeout reached"); });
    for (auto& runner : runners_) runner->stop();
    check_settled();
}

void Daemon::cancel_all(const char* why) {
    logger_.message(LogLevel::warn, std::string(why) + ": cancelling running actions");
    for (auto& runner : runners_) runner->cancel();
    check_settled();
}

void Daemon::check_settled() {
    if (exiting_) return;
    if (runners_.empty() && stop_signals_ == 0) return;  // nothing to run: wait for a signal
    for (const auto& runner : runners_) {
        if (!runner->settled()) return;
    }
    // Ending by itself with a failed loop is a runtime failure; a requested stop is clean.
    const bool any_failed =
        std::ranges::any_of(runners_, [](const auto& r) { return r->loop().failed(); });
    const int code = stop_signals_ == 0 && any_failed ? 1 : 0;
    // Exit from a fresh turn of the loop, not from inside the callback that settled the last task.
    exiting_ = true;
    settle_check_ = events_.defer([this, code] { events_.exit(code); });
}

}  // namespace tasksrun

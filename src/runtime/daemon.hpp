#pragma once
// The foreground daemon: one TaskRunner per enabled task on one event loop, and the signals of
// SPEC 4.2: SIGTERM/SIGINT stop every loop gracefully (past shutdown_timeout, or on a second
// signal, running actions are cancelled); SIGHUP reloads the config by difference (SPEC 6).
// Optionally serves the control socket, records runs in the state store, and serves /metrics,
// /healthz and the status page ([tasksrun] http).
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "http/status_server.hpp"
#include "log/logger.hpp"
#include "observe/metrics_registry.hpp"
#include "runtime/control_commands.hpp"
#include "runtime/control_server.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/generation.hpp"
#include "runtime/orphan_reaper.hpp"
#include "runtime/task_runner.hpp"
#include "runtime/webhooks.hpp"
#include "state/state_store.hpp"

namespace tasksrun {

// The tasks a daemon runs: the enabled ones, in file order.
std::vector<const TaskConfig*> enabled_tasks(const Config& config);
std::string host_name();

struct DaemonOptions {
    std::optional<std::string> control_socket;  // nullopt: no control socket
    std::unique_ptr<StateStore> store;          // null: nothing persists
    // The logger's scrubber; a reload adds the secrets of the new config to a copy of it.
    std::shared_ptr<const Redactor> redactor;
};

class Daemon final : private SettleListener, private StatusSource {
  public:
    // Precondition: `endpoints` holds every endpoint the enabled tasks use (resolve_endpoints).
    // Throws std::runtime_error if the control socket cannot be set up (one in use, say).
    Daemon(Config config, Logger& logger, ResolvedEndpoints endpoints, DaemonOptions options);
    ~Daemon();

    // Runs until every loop has ended and every action it started has reported back: after a
    // stop signal (exit code 0), or, without a control socket, when no task has anything left to
    // run, each having reached its count or failed (exit code 1 if any failed, else 0).
    int run();

  private:
    // One enabled task of the current config, under its name.
    struct Slot {
        std::unique_ptr<TaskRunner> runner;  // what runs under this name now
        // Set when a reload changed the task: `runner` is stopping, and a runner for this
        // config starts, where it left off, once it has.
        const TaskConfig* successor = nullptr;
    };

    // While one lives, runners settling are not acted on: the daemon is starting or replacing
    // many of them, and its task list may be half-built. Its end acts on them all at once.
    class Batch {
      public:
        explicit Batch(Daemon& daemon) : daemon_(daemon) { daemon_.in_batch_ = true; }
        ~Batch();
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

      private:
        Daemon& daemon_;
    };

    std::unique_ptr<TaskRunner> make_runner(const TaskConfig& task);
    // The last fired slot of each task in the state database; empty without one.
    std::map<std::string, Instant> stored_slots() const;
    void on_stop_signal(int signal);
    void cancel_all(const char* why);
    void reload();
    void apply(std::shared_ptr<const Generation> next);
    void on_runner_settled() override;
    void sweep();
    void check_settled();
    void rebuild_index();
    std::string status_line() const;
    void refresh_status();
    // Observability ([tasksrun] http): the registry is told of runs, the listener opened.
    void start_observing();
    DaemonSnapshot snapshot(bool for_people) const override;
    bool stopping() const override { return stop_signals_ > 0; }
    PageHistory recent_runs(Instant now) const override;

    Logger& logger_;
    EventLoop events_;
    WebhookSender webhooks_;
    Pinger pinger_;
    std::unique_ptr<StateStore> store_;
    std::shared_ptr<const Redactor> redactor_;
    std::unique_ptr<MetricsRegistry> metrics_;  // null without [tasksrun] http
    const SharedServices shared_;
    std::shared_ptr<const Generation> generation_;
    std::vector<Slot> tasks_;                           // file order
    std::vector<std::unique_ptr<TaskRunner>> removed_;  // stopping, dropped once settled
    TaskIndex index_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<StatusServer> status_server_;
    std::optional<OrphanReaper> reaper_;
    std::vector<EventSource> signals_;
    EventSource shutdown_timer_;
    EventSource settle_check_;
    EventSource sweep_;
    EventSource log_flush_;
    EventSource status_timer_;
    int stop_signals_ = 0;
    bool exiting_ = false;
    bool in_batch_ = false;
};

}  // namespace tasksrun

#pragma once
// The foreground daemon: the task set on one event loop, and the signals of SPEC 4.2:
// SIGTERM/SIGINT stop every loop gracefully (past shutdown_timeout, or on a second signal,
// running actions are cancelled); SIGHUP reloads the config by difference (SPEC 6). Optionally
// serves the control socket, records runs in the state store, and serves /metrics, /healthz and
// the status page ([tasksrun] http).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "event/event_loop.hpp"
#include "http/status_server.hpp"
#include "log/logger.hpp"
#include "observe/metrics_registry.hpp"
#include "runtime/cluster.hpp"
#include "runtime/control_server.hpp"
#include "runtime/event_loop_env.hpp"
#include "runtime/orphan_reaper.hpp"
#include "runtime/task_set.hpp"
#include "runtime/webhooks.hpp"
#include "state/state_store.hpp"

namespace tasksrun {

struct DaemonOptions {
    std::optional<std::string> control_socket;  // nullopt: no control socket
    std::unique_ptr<StateStore> store;          // null: nothing persists
    // The logger's scrubber; a reload adds the secrets of the new config to a copy of it.
    std::shared_ptr<const Redactor> redactor;
};

class Daemon final : private StatusSource {
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
    void on_stop_signal(int signal);
    void cancel_all(const char* why);
    // `from_a_person`: SIGHUP here, which in cluster mode asks every replica to reload; a reload
    // another replica asked for is not passed on.
    void reload(bool from_a_person = true);
    // Cluster mode (SPEC 14).
    void start_cluster(const ClusterSettings& settings);
    void apply_cluster_control(const TaskControl& change);
    // A control request; in cluster mode stop, start and change-interval reach every replica.
    nlohmann::json control(const nlohmann::json& request);
    void check_settled();
    void refresh_status();
    // Observability ([tasksrun] http): the registry is told of runs, the listener opened.
    void start_observing();
    DaemonSnapshot snapshot(bool for_people) const override;
    bool stopping() const override { return stop_signals_ > 0; }
    PageHistory recent_runs(Instant now) const override;

    Logger& logger_;
    EventLoop events_;
    EventLoopEnv env_;
    std::unique_ptr<StateStore> store_;
    std::shared_ptr<const Redactor> redactor_;
    std::unique_ptr<MetricsRegistry> metrics_;  // null without [tasksrun] http
    const TaskServices services_;
    TaskSet tasks_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<StatusServer> status_server_;
    std::unique_ptr<Cluster> cluster_;  // null outside cluster mode
    std::optional<OrphanReaper> reaper_;
    std::vector<EventSource> signals_;
    EventSource shutdown_timer_;
    EventSource exit_;
    EventSource log_flush_;
    EventSource status_timer_;
    int stop_signals_ = 0;
    bool exiting_ = false;
};

}  // namespace tasksrun

#pragma once
// What the replicas of a cluster agree on besides slots (SPEC 14): which config each task runs
// with (a hash per task and replica), and the cluster-wide control state that `ctl stop`,
// `ctl start`, `ctl change-interval` and reload set. A change is a row with a new revision
// (one sequence for the whole cluster) and a NOTIFY on kControlChannel carrying it; replicas
// LISTEN, and also poll(), since a notification sent while a replica was disconnected is lost.
//
// Asynchronous like ClusterStore: each operation answers once, from the event loop. The
// connection must outlive it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_types.hpp"
#include "cluster/pg_connection.hpp"

namespace tasksrun {

// A task's cluster-wide control state: the latest ctl change for it.
struct TaskControl {
    std::string task{};
    bool stopped = false;
    // A schedule set by `ctl change-interval`, in whatever text the runtime chose to store
    // (opaque here); nullopt: the config's schedule.
    std::optional<std::string> schedule{};
    std::int64_t revision = 0;
    Instant changed_at{};      // the database's clock
    std::string changed_by{};  // the replica that made the change
};

struct ReloadRequest {
    std::int64_t revision = 0;
    Instant requested_at{};
    std::string requested_by{};
};

// Control changes after a revision, in revision order; `revision` is the cursor for the next
// poll (the highest seen, or the one asked for when nothing changed).
struct ControlChanges {
    std::vector<TaskControl> tasks{};
    std::vector<ReloadRequest> reloads{};
    std::int64_t revision = 0;
};

// A live replica whose config for a task is not the one the cluster runs it with.
struct ConfigDisagreement {
    std::string task{};
    std::string replica{};
    std::string config_hash{};
    std::string cluster_hash{};
};

struct ReplicaSeen {
    std::string replica{};
    Instant first_seen{};
    Instant seen_at{};
    bool live = false;  // seen within ClusterOptions::config_live_for
};

class ClusterControl {
  public:
    static constexpr const char* kControlChannel = "tasksrun_control";

    ClusterControl(PgConnection& connection, ClusterOptions options);

    // LISTENs to kControlChannel on the connection (again after every reconnection). The
    // notifications arrive through the connection's `notified` handler; the payload is the new
    // revision. On one, or on reconnecting, call poll().
    void listen();

    // This replica's config hash for every task it has (disabled ones included); tasks it no
    // longer has are forgotten. Also a heartbeat. Call at start and after each reload; poll()
    // keeps the replica live in between.
    void publish_config(const std::map<std::string, std::string>& hashes, ClusterReply<void> done);

    // A heartbeat for this replica, and the control changes after `since` (0: all of them,
    // the full state).
    void poll(std::int64_t since, ClusterReply<ControlChanges> done);

    // `ctl stop` / `ctl start` cluster-wide.
    void set_stopped(const std::string& task, bool stopped, ClusterReply<TaskControl> done);
    // `ctl change-interval` cluster-wide; nullopt returns the task to its config's schedule.
    void set_schedule(const std::string& task, const std::optional<std::string>& schedule,
                      ClusterReply<TaskControl> done);
    // Asks every replica to reload its config; answers the request's revision.
    void request_reload(ClusterReply<std::int64_t> done);

    // Live replicas whose hash for a task differs from the cluster's (see agreed_config_cte).
    void config_disagreements(ClusterReply<std::vector<ConfigDisagreement>> done);
    // Every replica that ever polled, by name.
    void replicas(ClusterReply<std::vector<ReplicaSeen>> done);

  private:
    void change_task(const char* name, const std::string& sql, PgConnection::Params params,
                     ClusterReply<TaskControl> done);

    PgConnection& connection_;
    const ClusterOptions options_;
};

}  // namespace tasksrun

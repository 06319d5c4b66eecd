#pragma once
// The vocabulary of cluster mode (SPEC 14), shared by ClusterStore (claims, leases, runs) and
// ClusterControl (config hashes, cluster-wide ctl). docs/CLUSTER.md tells the whole protocol.
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>

#include "cluster/pg_result.hpp"
#include "config/config.hpp"
#include "state/state_store.hpp"
#include "util/instant.hpp"

namespace tasksrun {

// Every operation answers once, from the event loop, with its result or the database's error
// (PgError::connection when the database could not be reached: then nothing may be assumed).
template <typename T>
using ClusterReply = std::function<void(std::expected<T, PgError>)>;

struct ClusterOptions {
    std::string replica{};  // this replica's name, unique in the cluster
    // How long a claim stays held without renewal. The runner renews well before it ends
    // (every lease / 3) while an iteration runs.
    Duration lease = std::chrono::seconds{10};
    // A replica that has not polled (ClusterControl::poll / publish_config) for this long no
    // longer counts when the cluster decides which config a task runs with.
    Duration config_live_for = std::chrono::seconds{60};
    // Finished runs kept per task by ClusterStore::prune.
    std::size_t keep_per_task = kHistoryPerTask;
};

// A lease as the database sees it. Compare `until` with `db_now` (both the database's clock);
// a replica whose own clock is off still gets the right `remaining()`.
struct Lease {
    Instant until{};
    Instant db_now{};
    Duration remaining() const { return until - db_now; }
};

// A claim this replica holds: the slot and the fencing token it won it with. Every later
// operation on the slot names the fence; one from before a takeover is refused.
struct ClaimId {
    std::string task{};
    Instant slot{};
    std::int64_t fence = 0;
};

struct ClaimRequest {
    std::string task{};
    Instant slot{};           // the scheduled instant, computed from the schedule alone
    std::string config_hash;  // this replica's config for the task (stable across processes)
};

enum class ClaimVerdict {
    won,             // this replica holds the slot (fence, lease): it fires it
    taken,           // another replica holds it, or it is finished
    config_differs,  // the cluster runs the task with another config: not claimed
    pruned,          // older than the task's pruned history: no longer claimable
};

struct ClaimOutcome {
    std::string task{};
    Instant slot{};
    ClaimVerdict verdict = ClaimVerdict::taken;
    std::int64_t fence = 0;      // won
    Lease lease{};               // won
    std::string holder{};        // taken: the holder when known (empty when it won concurrently)
    std::string cluster_hash{};  // config_differs: the hash the cluster agrees on
};

// begin_attempt's answer: start the attempt only when `held`.
struct AttemptGrant {
    bool held = false;
    Lease lease{};         // held: the lease, extended to at least a full lease from now
    std::string reason{};  // not held: why ("taken over by replica b (fence 42)", ...)
};

struct Renewal {
    ClaimId claim{};
    bool renewed = false;  // false: the claim is no longer held (expired, taken over, finished)
    Lease lease{};
};

enum class RunOutcome { ok, failed, cancelled, stopped, skipped };

struct RunEnd {
    RunOutcome outcome = RunOutcome::ok;
    std::uint32_t attempts = 1;
    Duration duration{0};
    std::string failure_class{};  // "exit:1", "network", ... for failed runs
    std::string message{};
};

// How this replica takes over a task's slots whose holder stopped renewing its lease.
struct TakeoverPolicy {
    std::string task{};
    std::string config_hash{};
    OnCrash on_crash = OnCrash::skip;
    // A slot older than this (by the database's clock) is recorded abandoned, never run late:
    // the task's misfire_grace, or 0 when its misfire policy is skip.
    Duration rerun_within{0};
};

enum class TakeoverAction {
    rerun,      // this replica now holds the slot with a new fence: run it (as a late slot)
    abandoned,  // recorded `abandoned`: nobody runs it
};

struct Takeover {
    std::string task{};
    Instant slot{};
    std::string previous_replica{};
    std::int64_t previous_fence = 0;
    bool was_started = false;  // the previous holder had started an attempt
    TakeoverAction action = TakeoverAction::abandoned;
    std::int64_t fence = 0;  // rerun
    Lease lease{};           // rerun
};

// One slot in the cluster's history. `record.id` is the fence; `record.outcome` is one of
// claimed, running, ok, failed, cancelled, stopped, skipped, abandoned; `record.started` is
// when the first attempt began, or when the slot was claimed if none did.
struct ClusterRun {
    RunRecord record{};
    std::string replica{};
    std::optional<std::string> previous_replica{};  // set after a takeover
    std::uint32_t takeovers = 0;
};

const char* to_string(ClaimVerdict verdict);
const char* to_string(RunOutcome outcome);
const char* to_string(OnCrash on_crash);
const char* to_string(TakeoverAction action);

}  // namespace tasksrun

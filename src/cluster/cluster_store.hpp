#pragma once
// The slot lifecycle of cluster mode (SPEC 14) on PostgreSQL: claim, attempt, renew, finish,
// take over, history. Every lease decision is made with the database's clock
// (clock_timestamp()), never a replica's. docs/CLUSTER.md describes the protocol and how the
// runtime uses it; in short, for one slot:
//
//   claim([...])            -> won (fence F, lease) | taken | config_differs | pruned
//   begin_attempt(F, k)     -> held (lease extended) | not held: do not start attempt k
//   renew([F...])           every lease / 3 while the iteration runs
//   finish(F, outcome)      -> recorded | refused (the slot was taken over meanwhile)
//   take_over_expired(...)  on every replica, periodically: slots whose holder stopped renewing
//
// All operations are asynchronous: each answers once, from the event loop, with its value or a
// PgError (connection errors included: while the database is unreachable nothing is claimed,
// so nothing fires). The store holds no state of its own besides its options; it may be used
// from any number of places at once. The connection must outlive it.
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_types.hpp"
#include "cluster/pg_connection.hpp"

namespace tasksrun {

class ClusterStore {
  public:
    ClusterStore(PgConnection& connection, ClusterOptions options);

    // Claims each (task, slot) for this replica, in one statement (INSERT ... ON CONFLICT DO
    // NOTHING RETURNING): exactly one replica wins a slot, whatever the races. Outcomes come in
    // the order of `requests`. A slot this replica already holds and has not started (its
    // earlier claim's answer was lost with the connection) is `won` again, with its fence. A
    // batch should not name one slot twice.
    void claim(std::vector<ClaimRequest> requests, ClusterReply<std::vector<ClaimOutcome>> done);

    // Before attempt `attempt` (1-based) of iteration `loop`: whether `claim` is still held by
    // this replica (its fence, an unexpired lease, not finished). When held, the slot is marked
    // running, the attempt count recorded, and the lease extended to a full lease from now.
    void begin_attempt(const ClaimId& claim, std::uint32_t attempt, std::uint64_t loop,
                       ClusterReply<AttemptGrant> done);

    // Extends the leases of claims this replica holds, by a full lease from now. A claim whose
    // lease already ran out is not renewed (another replica may be taking it over): the
    // iteration must not start another attempt. Answers in the order of `claims`.
    void renew(std::vector<ClaimId> claims, ClusterReply<std::vector<Renewal>> done);

    // Records how the slot's run ended. `false`: the claim was taken over (or already
    // finished) and nothing was written; the run's result is not the cluster's record.
    void finish(const ClaimId& claim, const RunEnd& end, ClusterReply<bool> done);

    // Slots of the given tasks whose lease has expired unfinished: their holder died, paused or
    // lost the database. Each is taken over by this replica, at most `limit` per call, oldest
    // first, and skipped where another replica is taking it over at this moment:
    //  - started, with on_crash = skip: recorded `abandoned`;
    //  - otherwise, within `rerun_within` of its slot: claimed anew with a new fence (the
    //    old one is refused from now on) for this replica to run;
    //  - otherwise: recorded `abandoned`.
    // A task whose config this replica does not share with the cluster is left alone.
    void take_over_expired(std::vector<TakeoverPolicy> policies, std::size_t limit,
                           ClusterReply<std::vector<Takeover>> done);

    // The cluster's runs, newest slot first; of one task when `task` is set.
    void history(const std::optional<std::string>& task, std::size_t limit,
                 ClusterReply<std::vector<ClusterRun>> done);

    // Deletes finished runs beyond the newest `keep_per_task` of each task and remembers, per
    // task, the newest slot deleted: slots up to it can never be claimed again (a claim
    // answers `pruned`), so pruning never lets a slot run twice. Answers how many rows went;
    // 0 when another replica is pruning at this moment.
    void prune(ClusterReply<std::uint64_t> done);

    const ClusterOptions& options() const { return options_; }

    // The statement claim() sends, for docs/CLUSTER.md and the benchmark to show.
    static const std::string& claim_statement();

  private:
    PgConnection& connection_;
    const ClusterOptions options_;
};

}  // namespace tasksrun

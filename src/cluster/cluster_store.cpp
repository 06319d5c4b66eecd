#include "cluster/cluster_store.hpp"

#include <algorithm>
#include <map>

#include "cluster/cluster_sql.hpp"
#include "cluster/pg_params.hpp"
#include "cluster/schema.hpp"

namespace tasksrun {

using cluster_sql::answer;
using cluster_sql::interval_param;
using cluster_sql::malformed;

namespace {

// Statements about one claim are prepared once per session. Those that take arrays (claim,
// renew, takeover) never are: PostgreSQL may switch a prepared statement to one generic plan,
// made without the arrays' sizes and costed on the table as it was then. Measured with
// bench/cluster_store_bench: prepared, a 1,000-slot claim ran at a quarter of the rate, and
// single-slot claims ran faster in one run and slower in another, with the plan PostgreSQL
// happened to pick; unprepared, each claim is planned for its own batch.

// The advisory lock that keeps two replicas from pruning at once.
constexpr std::int64_t kPruneLockKey = kSchemaLockKey + 1;

// $1 replica, $2 tasks, $3 slots (µs), $4 config hashes, $5 lease (µs), $6 liveness (µs).
// The INSERT feeds rows in (task, slot) order, the same on every replica, so that two batches
// waiting on each other's uncommitted rows cannot deadlock. The final SELECT reads the table
// as it was before the statement: `c` shows who held a slot that was already taken.
const std::string& claim_sql() {
    static const std::string sql =
        "WITH wanted AS (\n"
        "  SELECT w.task, " +
        sql_instant("w.slot_us") +
        " AS slot, w.config_hash, w.ord\n"
        "  FROM unnest($2::text[], $3::bigint[], $4::text[]) WITH ORDINALITY\n"
        "       AS w(task, slot_us, config_hash, ord)\n"
        "), " +
        cluster_sql::agreed_config_cte("SELECT task FROM wanted", "$6") +
        ", pruned AS (\n"
        "  SELECT p.task, p.through FROM tasksrun_pruned p\n"
        "  WHERE p.task IN (SELECT task FROM wanted)\n"
        "), inserted AS (\n"
        "  INSERT INTO tasksrun_claims (task, slot, replica, fence, config_hash, claimed_at,\n"
        "                               lease_until)\n"
        "  SELECT w.task, w.slot, $1, nextval('tasksrun_fence'), w.config_hash,\n"
        "         clock_timestamp(), clock_timestamp() + " +
        interval_param("$5") +
        "\n"
        "  FROM wanted w\n"
        "  LEFT JOIN agreed a ON a.task = w.task\n"
        "  LEFT JOIN pruned p ON p.task = w.task\n"
        "  WHERE (a.config_hash IS NULL OR a.config_hash = w.config_hash)\n"
        "    AND (p.through IS NULL OR w.slot > p.through)\n"
        "  ORDER BY w.task, w.slot\n"
        "  ON CONFLICT (task, slot) DO NOTHING\n"
        "  RETURNING task, slot, fence, lease_until\n"
        ")\n"
        "SELECT w.ord, i.fence, " +
        sql_micros("i.lease_until") + ", " + sql_micros("clock_timestamp()") +
        ",\n"
        "       a.config_hash, (p.through IS NOT NULL AND w.slot <= p.through),\n"
        "       c.replica, c.fence, c.state, " +
        sql_micros("c.lease_until") +
        "\n"
        "FROM wanted w\n"
        "LEFT JOIN inserted i ON i.task = w.task AND i.slot = w.slot\n"
        "LEFT JOIN agreed a ON a.task = w.task\n"
        "LEFT JOIN pruned p ON p.task = w.task\n"
        "LEFT JOIN tasksrun_claims c ON c.task = w.task AND c.slot = w.slot\n"
        "ORDER BY w.ord";
    return sql;
}

// $1 task, $2 slot (µs), $3 fence, $4 replica, $5 attempt, $6 loop, $7 lease (µs).
const std::string& begin_attempt_sql() {
    static const std::string sql =
        "WITH held AS (\n"
        "  UPDATE tasksrun_claims\n"
        "  SET state = 'running', attempts = $5, loop_index = coalesce(loop_index, $6),\n"
        "      started_at = coalesce(started_at, clock_timestamp()),\n"
        "      lease_until = greatest(lease_until, clock_timestamp() + " +
        interval_param("$7") +
        ")\n"
        "  WHERE task = $1 AND slot = " +
        sql_instant("$2::bigint") +
        " AND fence = $3 AND replica = $4\n"
        "    AND finished_at IS NULL AND lease_until > clock_timestamp()\n"
        "  RETURNING lease_until\n"
        ")\n"
        "SELECT " +
        sql_micros("h.lease_until") + ", " + sql_micros("clock_timestamp()") +
        ",\n"
        "       c.replica, c.fence, c.state, " +
        sql_micros("c.lease_until") +
        "\n"
        "FROM (SELECT 1) AS one\n"
        "LEFT JOIN held h ON true\n"
        "LEFT JOIN tasksrun_claims c ON c.task = $1 AND c.slot = " +
        sql_instant("$2::bigint");
    return sql;
}

// $1 replica, $2 lease (µs), $3 tasks, $4 slots (µs), $5 fences.
const std::string& renew_sql() {
    static const std::string sql =
        "UPDATE tasksrun_claims c\n"
        "SET lease_until = clock_timestamp() + " +
        interval_param("$2") +
        "\n"
        "FROM unnest($3::text[], $4::bigint[], $5::bigint[]) AS r(task, slot_us, fence)\n"
        "WHERE c.task = r.task AND c.slot = " +
        sql_instant("r.slot_us") +
        " AND c.fence = r.fence\n"
        "  AND c.replica = $1 AND c.finished_at IS NULL AND c.lease_until > clock_timestamp()\n"
        "RETURNING c.fence, " +
        sql_micros("c.lease_until") + ", " + sql_micros("clock_timestamp()");
    return sql;
}

// $1 task, $2 slot (µs), $3 fence, $4 replica, $5 outcome, $6 attempts, $7 duration (µs),
// $8 failure class, $9 message.
const std::string& finish_sql() {
    static const std::string sql =
        "UPDATE tasksrun_claims\n"
        "SET state = $5, finished_at = clock_timestamp(), attempts = greatest(attempts, $6),\n"
        "    duration_us = $7, failure_class = $8, message = $9\n"
        "WHERE task = $1 AND slot = " +
        sql_instant("$2::bigint") +
        " AND fence = $3 AND replica = $4\n"
        "  AND finished_at IS NULL\n"
        "RETURNING fence";
    return sql;
}

// $1 replica, $2 tasks, $3 config hashes, $4 rerun flags, $5 rerun windows (µs), $6 lease
// (µs), $7 limit, $8 liveness (µs). `expired` locks the rows it picks and skips those another
// replica has locked, so two replicas never wait on each other; each row is then either
// abandoned or claimed anew, in two UPDATEs on disjoint rows.
const std::string& takeover_sql() {
    static const std::string sql =
        "WITH policy AS (\n"
        "  SELECT * FROM unnest($2::text[], $3::text[], $4::boolean[], $5::bigint[])\n"
        "    AS p(task, config_hash, rerun, rerun_within_us)\n"
        "), " +
        cluster_sql::agreed_config_cte("SELECT task FROM policy", "$8") +
        ", expired AS (\n"
        "  SELECT c.task, c.slot, c.fence AS old_fence, c.replica AS old_replica,\n"
        "         c.state = 'running' AS was_started, p.config_hash AS new_hash,\n"
        "         CASE WHEN c.state = 'running' AND NOT p.rerun THEN 'crashed'\n"
        "              WHEN c.slot < clock_timestamp() - " +
        interval_param("p.rerun_within_us") +
        " THEN 'late'\n"
        "              ELSE 'rerun' END AS decision\n"
        "  FROM tasksrun_claims c\n"
        "  JOIN policy p ON p.task = c.task\n"
        "  LEFT JOIN agreed a ON a.task = c.task\n"
        "  WHERE c.finished_at IS NULL AND c.lease_until < clock_timestamp()\n"
        "    AND (a.config_hash IS NULL OR a.config_hash = p.config_hash)\n"
        "  ORDER BY c.slot, c.task\n"
        "  LIMIT $7\n"
        "  FOR UPDATE OF c SKIP LOCKED\n"
        "), abandoned AS (\n"
        "  UPDATE tasksrun_claims c\n"
        "  SET state = 'abandoned', finished_at = clock_timestamp(),\n"
        "      message = CASE e.decision\n"
        "        WHEN 'crashed' THEN 'replica ' || e.old_replica ||\n"
        "             ' stopped renewing its lease during the run (on_crash = skip)'\n"
        "        ELSE 'replica ' || e.old_replica ||\n"
        "             ' stopped renewing its lease; the slot is past misfire_grace' END\n"
        "  FROM expired e\n"
        "  WHERE c.task = e.task AND c.slot = e.slot AND e.decision <> 'rerun'\n"
        "), rerun AS (\n"
        "  UPDATE tasksrun_claims c\n"
        "  SET replica = $1, fence = nextval('tasksrun_fence'), config_hash = e.new_hash,\n"
        "      state = 'claimed', claimed_at = clock_timestamp(),\n"
        "      lease_until = clock_timestamp() + " +
        interval_param("$6") +
        ",\n"
        "      started_at = NULL, attempts = 0, loop_index = NULL,\n"
        "      previous_replica = e.old_replica, takeovers = c.takeovers + 1\n"
        "  FROM expired e\n"
        "  WHERE c.task = e.task AND c.slot = e.slot AND e.decision = 'rerun'\n"
        "  RETURNING c.task, c.slot, c.fence, c.lease_until\n"
        ")\n"
        "SELECT e.task, " +
        sql_micros("e.slot") +
        ", e.old_replica, e.old_fence, e.was_started, e.decision,\n"
        "       r.fence, " +
        sql_micros("r.lease_until") + ", " + sql_micros("clock_timestamp()") +
        "\n"
        "FROM expired e\n"
        "LEFT JOIN rerun r ON r.task = e.task AND r.slot = e.slot\n"
        "ORDER BY e.slot, e.task";
    return sql;
}

std::string history_sql(bool one_task) {
    return "SELECT task, " + sql_micros("slot") +
           ", replica, fence, state, coalesce(loop_index, 0),\n"
           "       " +
           sql_micros("coalesce(started_at, claimed_at)") +
           ", attempts, duration_us, failure_class,\n"
           "       message, previous_replica, takeovers\n"
           "FROM tasksrun_claims\n" +
           (one_task ? "WHERE task = $2\n" : "") + "ORDER BY slot DESC, task\nLIMIT $1";
}

// $1 runs kept per task.
const std::string& prune_sql() {
    static const std::string sql =
        "WITH lock AS (SELECT pg_try_advisory_xact_lock(" + std::to_string(kPruneLockKey) +
        ") AS held),\n"
        "ranked AS (\n"
        "  SELECT task, slot, row_number() OVER (PARTITION BY task ORDER BY slot DESC) AS n\n"
        "  FROM tasksrun_claims\n"
        "  WHERE finished_at IS NOT NULL AND (SELECT held FROM lock)\n"
        "), deleted AS (\n"
        "  DELETE FROM tasksrun_claims c USING ranked r\n"
        "  WHERE r.n > $1 AND c.task = r.task AND c.slot = r.slot\n"
        "  RETURNING c.task, c.slot\n"
        "), marks AS (\n"
        "  INSERT INTO tasksrun_pruned (task, through)\n"
        "  SELECT task, max(slot) FROM deleted GROUP BY task\n"
        "  ON CONFLICT (task) DO UPDATE\n"
        "  SET through = greatest(tasksrun_pruned.through, excluded.through)\n"
        ")\n"
        "SELECT count(*) FROM deleted";
    return sql;
}

Lease lease_of(PgRow& row, int until_column, int now_column) {
    const Instant until = row.instant(until_column);
    return Lease{.until = until, .db_now = row.instant(now_column)};
}

std::string not_held_reason(PgRow& row, const ClaimId& claim, const std::string& replica) {
    const auto holder = row.optional_text(2);
    if (!holder) return "no claim for this slot";
    const std::int64_t fence = row.int64(3);
    const std::string state = row.text(4);
    if (fence != claim.fence || *holder != replica) {
        return "taken over by replica " + *holder + " (fence " + std::to_string(fence) + ")";
    }
    if (state != "claimed" && state != "running") return "the slot is finished (" + state + ")";
    return "the lease ran out";
}

}  // namespace

const char* to_string(ClaimVerdict verdict) {
    switch (verdict) {
        case ClaimVerdict::won:
            return "won";
        case ClaimVerdict::taken:
            return "taken";
        case ClaimVerdict::config_differs:
            return "config_differs";
        case ClaimVerdict::pruned:
            return "pruned";
    }
    return "taken";
}

const char* to_string(RunOutcome outcome) {
    switch (outcome) {
        case RunOutcome::ok:
            return "ok";
        case RunOutcome::failed:
            return "failed";
        case RunOutcome::cancelled:
            return "cancelled";
        case RunOutcome::stopped:
            return "stopped";
        case RunOutcome::skipped:
            return "skipped";
    }
    return "failed";
}

const char* to_string(OnCrash on_crash) {
    return on_crash == OnCrash::rerun ? "rerun" : "skip";
}

const char* to_string(TakeoverAction action) {
    return action == TakeoverAction::rerun ? "rerun" : "abandoned";
}

const std::string& ClusterStore::claim_statement() {
    return claim_sql();
}

ClusterStore::ClusterStore(PgConnection& connection, ClusterOptions options)
    : connection_(connection), options_(std::move(options)) {}

void ClusterStore::claim(std::vector<ClaimRequest> requests,
                         ClusterReply<std::vector<ClaimOutcome>> done) {
    std::vector<std::string> tasks;
    std::vector<std::int64_t> slots;
    std::vector<std::string> hashes;
    for (const ClaimRequest& request : requests) {
        tasks.push_back(request.task);
        slots.push_back(request.slot.time_since_epoch().count());
        hashes.push_back(request.config_hash);
    }
    connection_.query(
        claim_sql(),
        {options_.replica, text_array(tasks), int64_array(slots), text_array(hashes),
         micros_text(options_.lease), micros_text(options_.config_live_for)},
        answer(std::move(done),
               [requests = std::move(requests), replica = options_.replica](
                   const PgResult& result) -> std::expected<std::vector<ClaimOutcome>, PgError> {
                   if (result.rows() != static_cast<int>(requests.size()))
                       return std::unexpected(malformed("a claim"));
                   std::vector<ClaimOutcome> outcomes;
                   for (int i = 0; i < result.rows(); ++i) {
                       PgRow row(result, i);
                       const ClaimRequest& request = requests[static_cast<std::size_t>(i)];
                       ClaimOutcome outcome{.task = request.task, .slot = request.slot};
                       const auto fence = row.optional_int64(1);
                       const auto agreed = row.optional_text(4);
                       const auto holder = row.optional_text(6);
                       const Instant db_now = row.instant(3);
                       if (fence) {
                           outcome.verdict = ClaimVerdict::won;
                           outcome.fence = *fence;
                           outcome.lease = lease_of(row, 2, 3);
                       } else if (row.boolean(5)) {
                           outcome.verdict = ClaimVerdict::pruned;
                       } else if (agreed && *agreed != request.config_hash) {
                           outcome.verdict = ClaimVerdict::config_differs;
                           outcome.cluster_hash = *agreed;
                       } else if (holder == replica && row.text(8) == "claimed" &&
                                  row.instant(9) > db_now) {
                           // Ours from before, never started: the answer to that claim was
                           // lost (a dropped connection), the claim itself was not.
                           outcome.verdict = ClaimVerdict::won;
                           outcome.fence = row.int64(7);
                           outcome.lease = lease_of(row, 9, 3);
                       } else {
                           outcome.verdict = ClaimVerdict::taken;
                           outcome.holder = holder.value_or("");
                       }
                       if (!row.ok()) return std::unexpected(malformed("a claim"));
                       outcomes.push_back(std::move(outcome));
                   }
                   return outcomes;
               }));
}

void ClusterStore::begin_attempt(const ClaimId& claim, std::uint32_t attempt, std::uint64_t loop,
                                 ClusterReply<AttemptGrant> done) {
    connection_.query_prepared(
        "tasksrun_begin_attempt", begin_attempt_sql(),
        {claim.task, micros_text(claim.slot), std::to_string(claim.fence), options_.replica,
         std::to_string(attempt), std::to_string(loop), micros_text(options_.lease)},
        answer(std::move(done),
               [claim, replica = options_.replica](
                   const PgResult& result) -> std::expected<AttemptGrant, PgError> {
                   if (result.rows() != 1) return std::unexpected(malformed("an attempt check"));
                   PgRow row(result, 0);
                   AttemptGrant grant;
                   if (result.is_null(0, 0)) {
                       grant.reason = not_held_reason(row, claim, replica);
                   } else {
                       grant.held = true;
                       grant.lease = lease_of(row, 0, 1);
                   }
                   if (!row.ok()) return std::unexpected(malformed("an attempt check"));
                   return grant;
               }));
}

void ClusterStore::renew(std::vector<ClaimId> claims, ClusterReply<std::vector<Renewal>> done) {
    // One lock order for every statement that updates several claims.
    std::vector<std::string> tasks;
    std::vector<std::int64_t> slots;
    std::vector<std::int64_t> fences;
    std::vector<std::size_t> order(claims.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::ranges::sort(order, [&](std::size_t a, std::size_t b) {
        return std::tie(claims[a].task, claims[a].slot) < std::tie(claims[b].task, claims[b].slot);
    });
    for (const std::size_t i : order) {
        tasks.push_back(claims[i].task);
        slots.push_back(claims[i].slot.time_since_epoch().count());
        fences.push_back(claims[i].fence);
    }
    connection_.query(
        renew_sql(),
        {options_.replica, micros_text(options_.lease), text_array(tasks), int64_array(slots),
         int64_array(fences)},
        answer(std::move(done),
               [claims = std::move(claims)](
                   const PgResult& result) -> std::expected<std::vector<Renewal>, PgError> {
                   std::map<std::int64_t, Lease> renewed;
                   for (int i = 0; i < result.rows(); ++i) {
                       PgRow row(result, i);
                       const std::int64_t fence = row.int64(0);
                       renewed[fence] = lease_of(row, 1, 2);
                       if (!row.ok()) return std::unexpected(malformed("a lease renewal"));
                   }
                   std::vector<Renewal> renewals;
                   for (const ClaimId& claim : claims) {
                       Renewal renewal{.claim = claim};
                       if (const auto it = renewed.find(claim.fence); it != renewed.end()) {
                           renewal.renewed = true;
                           renewal.lease = it->second;
                       }
                       renewals.push_back(std::move(renewal));
                   }
                   return renewals;
               }));
}

void ClusterStore::finish(const ClaimId& claim, const RunEnd& end, ClusterReply<bool> done) {
    connection_.query_prepared(
        "tasksrun_finish", finish_sql(),
        {claim.task, micros_text(claim.slot), std::to_string(claim.fence), options_.replica,
         to_string(end.outcome), std::to_string(end.attempts), micros_text(end.duration),
         end.failure_class, end.message},
        answer(std::move(done), [](const PgResult& result) -> std::expected<bool, PgError> {
            return result.rows() == 1;
        }));
}

void ClusterStore::take_over_expired(std::vector<TakeoverPolicy> policies, std::size_t limit,
                                     ClusterReply<std::vector<Takeover>> done) {
    std::vector<std::string> tasks;
    std::vector<std::string> hashes;
    std::vector<bool> rerun;
    std::vector<std::int64_t> windows;
    for (const TakeoverPolicy& policy : policies) {
        tasks.push_back(policy.task);
        hashes.push_back(policy.config_hash);
        rerun.push_back(policy.on_crash == OnCrash::rerun);
        windows.push_back(policy.rerun_within.count());
    }
    connection_.query(
        takeover_sql(),
        {options_.replica, text_array(tasks), text_array(hashes), bool_array(rerun),
         int64_array(windows), micros_text(options_.lease), std::to_string(limit),
         micros_text(options_.config_live_for)},
        cluster_sql::answer_rows<Takeover>(std::move(done), "a takeover", [](PgRow& row) {
            Takeover takeover{.task = row.text(0),
                              .slot = row.instant(1),
                              .previous_replica = row.text(2),
                              .previous_fence = row.int64(3),
                              .was_started = row.boolean(4)};
            if (row.text(5) == "rerun") {
                takeover.action = TakeoverAction::rerun;
                takeover.fence = row.int64(6);
                takeover.lease = lease_of(row, 7, 8);
            }
            return takeover;
        }));
}

void ClusterStore::history(const std::optional<std::string>& task, std::size_t limit,
                           ClusterReply<std::vector<ClusterRun>> done) {
    PgConnection::Params params{std::to_string(limit)};
    if (task) params.emplace_back(*task);
    connection_.query_prepared(
        task ? "tasksrun_history_task" : "tasksrun_history_all", history_sql(task.has_value()),
        std::move(params),
        cluster_sql::answer_rows<ClusterRun>(std::move(done), "a history query", [](PgRow& row) {
            ClusterRun run;
            RunRecord& record = run.record;
            record.task = row.text(0);
            record.scheduled = row.instant(1);
            run.replica = row.text(2);
            record.id = row.int64(3);
            record.outcome = row.text(4);
            record.loop = static_cast<std::uint64_t>(row.int64(5));
            record.started = row.instant(6);
            record.lateness = std::max(Duration{0}, record.started - record.scheduled);
            record.attempts = static_cast<std::uint32_t>(row.int64(7));
            if (const auto micros = row.optional_int64(8)) record.duration = Duration{*micros};
            record.failure_class = row.text(9);
            record.message = row.text(10);
            run.previous_replica = row.optional_text(11);
            run.takeovers = static_cast<std::uint32_t>(row.int64(12));
            return run;
        }));
}

void ClusterStore::prune(ClusterReply<std::uint64_t> done) {
    connection_.query(prune_sql(), {std::to_string(options_.keep_per_task)},
                      answer(std::move(done),
                             [](const PgResult& result) -> std::expected<std::uint64_t, PgError> {
                                 const auto deleted = cluster_sql::single_int64(result, "a prune");
                                 if (!deleted) return std::unexpected(deleted.error());
                                 return static_cast<std::uint64_t>(*deleted);
                             }));
}

}  // namespace tasksrun

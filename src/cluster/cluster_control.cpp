#include "cluster/cluster_control.hpp"

#include "cluster/cluster_sql.hpp"
#include "cluster/pg_params.hpp"

namespace tasksrun {

using cluster_sql::answer;
using cluster_sql::malformed;

namespace {

// $1 replica, $2 tasks, $3 hashes. A hash's published_at moves only when it changes: it is
// the tie-breaker of the agreement ("published last").
const std::string& publish_sql() {
    static const std::string sql =
        "WITH mine AS (\n"
        "  SELECT m.task, m.config_hash FROM unnest($2::text[], $3::text[]) AS m(task, "
        "config_hash)\n"
        "), " +
        cluster_sql::heartbeat_cte("$1") +
        ", gone AS (\n"
        "  DELETE FROM tasksrun_task_configs t\n"
        "  WHERE t.replica = $1 AND NOT EXISTS (SELECT 1 FROM mine m WHERE m.task = t.task)\n"
        "), put AS (\n"
        "  INSERT INTO tasksrun_task_configs (task, replica, config_hash, published_at)\n"
        "  SELECT task, $1, config_hash, clock_timestamp() FROM mine\n"
        "  ON CONFLICT (task, replica) DO UPDATE\n"
        "  SET config_hash = excluded.config_hash, published_at = excluded.published_at\n"
        "  WHERE tasksrun_task_configs.config_hash <> excluded.config_hash\n"
        ")\n"
        "SELECT count(*) FROM mine";
    return sql;
}

// $1 replica, $2 revision.
const std::string& poll_sql() {
    static const std::string sql =
        "WITH " + cluster_sql::heartbeat_cte("$1") +
        "\n"
        "SELECT 'task', task, stopped, schedule, revision, changed_by, " +
        sql_micros("changed_at") +
        "\n"
        "FROM tasksrun_task_control WHERE revision > $2\n"
        "UNION ALL\n"
        "SELECT 'reload', NULL::text, NULL::boolean, NULL::text, revision, requested_by, " +
        sql_micros("requested_at") +
        "\n"
        "FROM tasksrun_reloads WHERE revision > $2\n"
        "ORDER BY 5";
    return sql;
}

// Every task change answers the same columns, and notifies in the same transaction (the
// notification goes out when it commits).
std::string task_change_sql(std::string_view insert) {
    return "WITH changed AS (\n" + std::string(insert) +
           "\n  RETURNING task, stopped, schedule, revision, changed_by, changed_at\n"
           ")\n"
           "SELECT task, stopped, schedule, revision, changed_by, " +
           sql_micros("changed_at") + ",\n       pg_notify('" + ClusterControl::kControlChannel +
           "', revision::text)\n"
           "FROM changed";
}

// $1 task, $2 stopped, $3 replica.
const std::string& set_stopped_sql() {
    static const std::string sql = task_change_sql(
        "  INSERT INTO tasksrun_task_control (task, stopped, revision, changed_at, changed_by)\n"
        "  VALUES ($1, $2, nextval('tasksrun_control_revision'), clock_timestamp(), $3)\n"
        "  ON CONFLICT (task) DO UPDATE SET stopped = excluded.stopped,\n"
        "    revision = excluded.revision, changed_at = excluded.changed_at,\n"
        "    changed_by = excluded.changed_by");
    return sql;
}

// $1 task, $2 schedule (NULL: the config's), $3 replica.
const std::string& set_schedule_sql() {
    static const std::string sql = task_change_sql(
        "  INSERT INTO tasksrun_task_control (task, schedule, revision, changed_at, changed_by)\n"
        "  VALUES ($1, $2, nextval('tasksrun_control_revision'), clock_timestamp(), $3)\n"
        "  ON CONFLICT (task) DO UPDATE SET schedule = excluded.schedule,\n"
        "    revision = excluded.revision, changed_at = excluded.changed_at,\n"
        "    changed_by = excluded.changed_by");
    return sql;
}

// $1 replica.
const std::string& reload_sql() {
    static const std::string sql =
        "WITH requested AS (\n"
        "  INSERT INTO tasksrun_reloads (revision, requested_at, requested_by)\n"
        "  VALUES (nextval('tasksrun_control_revision'), clock_timestamp(), $1)\n"
        "  RETURNING revision\n"
        ")\n"
        "SELECT revision, pg_notify('" +
        std::string(ClusterControl::kControlChannel) + "', revision::text) FROM requested";
    return sql;
}

// $1 liveness (µs).
const std::string& disagreements_sql() {
    static const std::string sql = "WITH " + cluster_sql::agreed_config_cte("", "$1") +
                                   "\n"
                                   "SELECT tc.task, tc.replica, tc.config_hash, a.config_hash\n"
                                   "FROM tasksrun_task_configs tc\n"
                                   "JOIN tasksrun_replicas r ON r.replica = tc.replica\n"
                                   "JOIN agreed a ON a.task = tc.task\n"
                                   "WHERE r.seen_at > clock_timestamp() - " +
                                   cluster_sql::interval_param("$1") +
                                   "\n"
                                   "  AND tc.config_hash <> a.config_hash\n"
                                   "ORDER BY tc.task, tc.replica";
    return sql;
}

// $1 liveness (µs).
const std::string& replicas_sql() {
    static const std::string sql = "SELECT replica, " + sql_micros("first_seen") + ", " +
                                   sql_micros("seen_at") +
                                   ",\n"
                                   "       seen_at > clock_timestamp() - " +
                                   cluster_sql::interval_param("$1") +
                                   "\n"
                                   "FROM tasksrun_replicas ORDER BY replica";
    return sql;
}

std::expected<TaskControl, PgError> task_control_of(const PgResult& result) {
    if (result.rows() != 1) return std::unexpected(malformed("a control change"));
    PgRow row(result, 0);
    TaskControl control{.task = row.text(0),
                        .stopped = row.boolean(1),
                        .schedule = row.optional_text(2),
                        .revision = row.int64(3),
                        .changed_at = row.instant(5),
                        .changed_by = row.text(4)};
    if (!row.ok()) return std::unexpected(malformed("a control change"));
    return control;
}

}  // namespace

ClusterControl::ClusterControl(PgConnection& connection, ClusterOptions options)
    : connection_(connection), options_(std::move(options)) {}

void ClusterControl::listen() {
    connection_.listen(kControlChannel);
}

void ClusterControl::publish_config(const std::map<std::string, std::string>& hashes,
                                    ClusterReply<void> done) {
    std::vector<std::string> tasks;
    std::vector<std::string> values;
    for (const auto& [task, hash] : hashes) {
        tasks.push_back(task);
        values.push_back(hash);
    }
    connection_.query(publish_sql(), {options_.replica, text_array(tasks), text_array(values)},
                      answer(std::move(done),
                             [](const PgResult&) -> std::expected<void, PgError> { return {}; }));
}

void ClusterControl::poll(std::int64_t since, ClusterReply<ControlChanges> done) {
    connection_.query_prepared(
        "tasksrun_poll", poll_sql(), {options_.replica, std::to_string(since)},
        answer(std::move(done),
               [since](const PgResult& result) -> std::expected<ControlChanges, PgError> {
                   ControlChanges changes{.revision = since};
                   for (int i = 0; i < result.rows(); ++i) {
                       PgRow row(result, i);
                       const std::int64_t revision = row.int64(4);
                       if (row.text(0) == "task") {
                           changes.tasks.push_back(TaskControl{.task = row.text(1),
                                                               .stopped = row.boolean(2),
                                                               .schedule = row.optional_text(3),
                                                               .revision = revision,
                                                               .changed_at = row.instant(6),
                                                               .changed_by = row.text(5)});
                       } else {
                           changes.reloads.push_back(ReloadRequest{.revision = revision,
                                                                   .requested_at = row.instant(6),
                                                                   .requested_by = row.text(5)});
                       }
                       if (!row.ok()) return std::unexpected(malformed("a control poll"));
                       changes.revision = std::max(changes.revision, revision);
                   }
                   return changes;
               }));
}

void ClusterControl::change_task(const char* name, const std::string& sql,
                                 PgConnection::Params params, ClusterReply<TaskControl> done) {
    connection_.query_prepared(name, sql, std::move(params),
                               answer(std::move(done), task_control_of));
}

void ClusterControl::set_stopped(const std::string& task, bool stopped,
                                 ClusterReply<TaskControl> done) {
    change_task("tasksrun_set_stopped", set_stopped_sql(),
                {task, stopped ? "true" : "false", options_.replica}, std::move(done));
}

void ClusterControl::set_schedule(const std::string& task,
                                  const std::optional<std::string>& schedule,
                                  ClusterReply<TaskControl> done) {
    change_task("tasksrun_set_schedule", set_schedule_sql(), {task, schedule, options_.replica},
                std::move(done));
}

void ClusterControl::request_reload(ClusterReply<std::int64_t> done) {
    connection_.query_prepared("tasksrun_request_reload", reload_sql(), {options_.replica},
                               answer(std::move(done), [](const PgResult& result) {
                                   return cluster_sql::single_int64(result, "a reload");
                               }));
}

void ClusterControl::config_disagreements(ClusterReply<std::vector<ConfigDisagreement>> done) {
    connection_.query_prepared("tasksrun_config_disagreements", disagreements_sql(),
                               {micros_text(options_.config_live_for)},
                               cluster_sql::answer_rows<ConfigDisagreement>(
                                   std::move(done), "a config comparison", [](PgRow& row) {
                                       return ConfigDisagreement{.task = row.text(0),
                                                                 .replica = row.text(1),
                                                                 .config_hash = row.text(2),
                                                                 .cluster_hash = row.text(3)};
                                   }));
}

void ClusterControl::replicas(ClusterReply<std::vector<ReplicaSeen>> done) {
    connection_.query_prepared(
        "tasksrun_replicas", replicas_sql(), {micros_text(options_.config_live_for)},
        cluster_sql::answer_rows<ReplicaSeen>(std::move(done), "a replica list", [](PgRow& row) {
            return ReplicaSeen{.replica = row.text(0),
                               .first_seen = row.instant(1),
                               .seen_at = row.instant(2),
                               .live = row.boolean(3)};
        }));
}

}  // namespace tasksrun

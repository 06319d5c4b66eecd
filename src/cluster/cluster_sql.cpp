#include "cluster/cluster_sql.hpp"

namespace tasksrun::cluster_sql {

std::string interval_param(std::string_view param) {
    return "(" + std::string(param) + "::bigint * interval '1 microsecond')";
}

std::string agreed_config_cte(std::string_view tasks_subquery, std::string_view live_param) {
    std::string sql =
        "agreed AS (\n"
        "  SELECT DISTINCT ON (tc.task) tc.task, tc.config_hash\n"
        "  FROM tasksrun_task_configs tc\n"
        "  JOIN tasksrun_replicas r ON r.replica = tc.replica\n"
        "  WHERE r.seen_at > clock_timestamp() - " +
        interval_param(live_param) + "\n";
    if (!tasks_subquery.empty())
        sql += "    AND tc.task IN (" + std::string(tasks_subquery) + ")\n";
    sql +=
        "  GROUP BY tc.task, tc.config_hash\n"
        "  ORDER BY tc.task, count(*) DESC, max(tc.published_at) DESC, tc.config_hash\n"
        ")";
    return sql;
}

std::string heartbeat_cte(std::string_view replica_param) {
    const std::string replica(replica_param);
    return "beat AS (\n"
           "  INSERT INTO tasksrun_replicas (replica, first_seen, seen_at)\n"
           "  VALUES (" +
           replica +
           ", clock_timestamp(), clock_timestamp())\n"
           "  ON CONFLICT (replica) DO UPDATE SET seen_at = excluded.seen_at\n"
           ")";
}

PgError malformed(std::string_view what) {
    return PgError{.message =
                       "unexpected answer from the cluster database to " + std::string(what)};
}

std::expected<std::int64_t, PgError> single_int64(const PgResult& result, std::string_view what) {
    const auto value = result.rows() == 1 ? result.int64(0, 0) : std::nullopt;
    if (!value) return std::unexpected(malformed(what));
    return *value;
}

}  // namespace tasksrun::cluster_sql

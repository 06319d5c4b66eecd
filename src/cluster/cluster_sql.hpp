#pragma once
// Pieces of SQL and of answer handling shared by ClusterStore and ClusterControl.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/cluster_types.hpp"
#include "cluster/pg_connection.hpp"

namespace tasksrun::cluster_sql {

// `agreed(task, config_hash)`: the config each task runs with in the cluster. Among the
// replicas seen within the window given by the parameter `live_param` (microseconds) that
// publish a hash for the task, the hash most of them have wins; a tie goes to the hash
// published last (a rolling update moves forward), then to the smaller hash, so that every
// replica reaches the same answer. `tasks_subquery` limits it to some tasks (empty: all).
std::string agreed_config_cte(std::string_view tasks_subquery, std::string_view live_param);

// `beat`: records that replica `replica_param` is alive now (the liveness the agreement uses).
std::string heartbeat_cte(std::string_view replica_param);

// A microseconds parameter as an interval.
std::string interval_param(std::string_view param);

// Turns a query's answer into `done`'s value: errors pass through, and `parse(const PgResult&)`
// (returning std::expected<T, PgError>) reads the rows.
template <typename T, typename Parse>
PgConnection::QueryDone answer(ClusterReply<T> done, Parse parse) {
    return [done = std::move(done),
            parse = std::move(parse)](std::expected<PgResult, PgError> result) {
        if (!result) {
            done(std::unexpected(std::move(result.error())));
            return;
        }
        done(parse(*result));
    };
}

// The error for an answer whose rows do not have the expected shape.
PgError malformed(std::string_view what);

// Every row read by `read(PgRow&)` (returning a T); an error naming `what` when a row is
// malformed.
template <typename T, typename Read>
std::expected<std::vector<T>, PgError> rows_of(const PgResult& result, std::string_view what,
                                               Read read) {
    std::vector<T> values;
    for (int i = 0; i < result.rows(); ++i) {
        PgRow row(result, i);
        T value = read(row);
        if (!row.ok()) return std::unexpected(malformed(what));
        values.push_back(std::move(value));
    }
    return values;
}

// answer() for a list of rows: `done` gets rows_of(result, what, read).
template <typename T, typename Read>
PgConnection::QueryDone answer_rows(ClusterReply<std::vector<T>> done, std::string_view what,
                                    Read read) {
    return answer(std::move(done), [what, read = std::move(read)](const PgResult& result) {
        return rows_of<T>(result, what, read);
    });
}

// The one integer a statement answers (a count, a revision).
std::expected<std::int64_t, PgError> single_int64(const PgResult& result, std::string_view what);

}  // namespace tasksrun::cluster_sql

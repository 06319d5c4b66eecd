#include "runtime/cluster_history.hpp"

#include "cluster/cluster_store.hpp"
#include "cluster/pg_connection.hpp"
#include "event/event_loop.hpp"
#include "runtime/webhooks.hpp"
#include "util/duration.hpp"

namespace tasksrun {

std::expected<std::vector<ClusterRun>, std::string> read_cluster_history(
    const ClusterSettings& settings, const std::optional<std::string>& task, std::size_t limit,
    Duration timeout) {
    auto conninfo = read_secret(settings.url);
    if (!conninfo) return std::unexpected("cluster: " + conninfo.error());
    EventLoop events;
    std::optional<std::expected<std::vector<ClusterRun>, std::string>> answer;
    std::unique_ptr<ClusterStore> store;
    std::string last_error;
    const auto finish = [&](std::expected<std::vector<ClusterRun>, std::string> result) {
        if (answer) return;
        answer = std::move(result);
        events.exit(0);
    };
    auto connection = PgConnection::create(
        events, std::move(*conninfo), PgConnection::Options{.connect_timeout = timeout},
        PgConnection::Handlers{
            .state_changed =
                [&](const PgConnection::Status& status) {
                    if (status.state == PgConnection::State::down) last_error = status.last_error;
                    if (status.state != PgConnection::State::connected || !store) return;
                    store->history(
                        task, limit, [&](std::expected<std::vector<ClusterRun>, PgError> runs) {
                            if (!runs) {
                                finish(std::unexpected("cluster: " + runs.error().message));
                                return;
                            }
                            finish(std::move(*runs));
                        });
                },
            .notified = {}});
    if (!connection) return std::unexpected("cluster: " + connection.error());
    store = std::make_unique<ClusterStore>(**connection, ClusterOptions{});
    EventSource give_up = events.elapsed_timer(timeout, [&] {
        finish(std::unexpected("cluster: no answer from the database at " +
                               (*connection)->target() + " within " + format_duration(timeout) +
                               (last_error.empty() ? "" : " (" + last_error + ")")));
    });
    (*connection)->start();
    if (auto ran = events.run(); !ran) return std::unexpected(ran.error());
    return std::move(*answer);
}

}  // namespace tasksrun

#pragma once
// Several replicas on one fresh database of the test server, each with its own connection,
// ClusterStore and ClusterControl, all on one event loop (the server sees them as concurrent
// clients).
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <string>

#include "cluster/cluster_control.hpp"
#include "cluster/cluster_store.hpp"
#include "cluster/schema.hpp"
#include "event/clock.hpp"
#include "support/pg_server.hpp"
#include "support/pg_wait.hpp"

namespace tasksrun::test {

struct Replica {
    std::unique_ptr<PgConnection> connection;
    std::unique_ptr<ClusterStore> store;
    std::unique_ptr<ClusterControl> control;
};

class PgCluster {
  public:
    PgCluster() : database_(PgServer::shared().create_database()) {
        auto setup = connect_to(loop, database_);
        const auto migrated = await<std::expected<SchemaVersions, PgError>>(loop, [&](auto done) {
            migrate_schema(*setup, cluster_migrations(), std::move(done));
        });
        REQUIRE(migrated.has_value());
    }

    Replica& add(const std::string& name, ClusterOptions options = {},
                 PgConnection::Handlers handlers = {}) {
        options.replica = name;
        Replica replica;
        replica.connection = connect_to(loop, database_, {}, std::move(handlers));
        replica.store = std::make_unique<ClusterStore>(*replica.connection, options);
        replica.control = std::make_unique<ClusterControl>(*replica.connection, options);
        return replicas_[name] = std::move(replica);
    }

    Replica& operator[](const std::string& name) { return replicas_.at(name); }

    // Runs an operation of the store or control and returns its value; REQUIREs success.
    template <typename T, typename Start>
    T ok(Start start) {
        auto answer = await<std::expected<T, PgError>>(loop, std::move(start));
        if (!answer) FAIL(answer.error().message);
        if constexpr (!std::is_void_v<T>) return std::move(*answer);
    }

    // A query on `replica`'s connection.
    PgResult sql(const std::string& replica, const std::string& text,
                 PgConnection::Params params = {}) {
        return ok<PgResult>([&](auto done) {
            replicas_.at(replica).connection->query(text, std::move(params), done);
        });
    }

    const std::string& database() const { return database_; }

    EventLoop loop;

  private:
    std::string database_;
    std::map<std::string, Replica> replicas_;
};

// Whole seconds of the current wall time: slots near now, as a scheduler would claim them.
inline Instant this_second() {
    return std::chrono::floor<std::chrono::seconds>(wall_clock_now());
}

}  // namespace tasksrun::test

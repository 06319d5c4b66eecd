// Schema creation and migration against a real server: from an empty database, again (nothing
// to do), from several replicas at once, step by step, and refusals.
#include "cluster/schema.hpp"

#include <catch2/catch.hpp>

#include "support/pg_server.hpp"
#include "support/pg_wait.hpp"

namespace tasksrun {
namespace {

using test::await;
using Migrated = std::expected<SchemaVersions, PgError>;

Migrated migrate(EventLoop& loop, PgConnection& connection,
                 std::span<const Migration> migrations = cluster_migrations()) {
    return await<Migrated>(
        loop, [&](auto done) { migrate_schema(connection, migrations, std::move(done)); });
}

std::int64_t count_of(EventLoop& loop, PgConnection& connection, const std::string& sql) {
    const auto answer = await<std::expected<PgResult, PgError>>(
        loop, [&](auto done) { connection.query(sql, {}, done); });
    REQUIRE(answer.has_value());
    return answer->int64(0, 0).value_or(-1);
}

int latest_version() {
    return cluster_migrations().back().version;
}

TEST_CASE("schema: an empty database gets every table, and a second run changes nothing",
          "[cluster][schema]") {
    EventLoop loop;
    auto connection = test::connect_to(loop, test::PgServer::shared().create_database());
    const auto first = migrate(loop, *connection);
    REQUIRE(first.has_value());
    CHECK(first->before == 0);
    CHECK(first->after == latest_version());
    CHECK(count_of(loop, *connection,
                   "SELECT count(*) FROM pg_tables WHERE tablename IN ('tasksrun_claims', "
                   "'tasksrun_pruned', 'tasksrun_replicas', 'tasksrun_task_configs', "
                   "'tasksrun_task_control', 'tasksrun_reloads', 'tasksrun_schema_version')") == 7);

    const auto second = migrate(loop, *connection);
    REQUIRE(second.has_value());
    CHECK(second->before == latest_version());
    CHECK(second->after == latest_version());
    CHECK(count_of(loop, *connection, "SELECT count(*) FROM tasksrun_schema_version") ==
          latest_version());
}

TEST_CASE("schema: replicas starting at once on an empty database all succeed, once",
          "[cluster][schema]") {
    EventLoop loop;
    const std::string database = test::PgServer::shared().create_database();
    std::vector<std::unique_ptr<PgConnection>> replicas;
    for (int i = 0; i < 4; ++i) replicas.push_back(test::connect_to(loop, database));
    std::vector<Migrated> results;
    for (auto& replica : replicas) {
        migrate_schema(*replica, cluster_migrations(),
                       [&](Migrated result) { results.push_back(std::move(result)); });
    }
    REQUIRE(test::run_until(loop, [&] { return results.size() == replicas.size(); }));
    int created = 0;
    for (const Migrated& result : results) {
        REQUIRE(result.has_value());
        CHECK(result->after == latest_version());
        if (result->before == 0) ++created;
    }
    CHECK(created == 1);  // the others waited for the lock and found the schema done
    CHECK(count_of(loop, *replicas[0], "SELECT count(*) FROM tasksrun_schema_version") ==
          latest_version());
}

constexpr Migration kFirst{1, "a table", "CREATE TABLE step_one (x int);"};
constexpr Migration kSecond{2, "another table", "CREATE TABLE step_two (y int);"};
constexpr Migration kBroken{2, "a broken step", "CREATE TABLE step_two (y no_such_type);"};

TEST_CASE("schema: migrations apply in order, each once", "[cluster][schema]") {
    EventLoop loop;
    auto connection = test::connect_to(loop, test::PgServer::shared().create_database());
    const std::array one{kFirst};
    const auto first = migrate(loop, *connection, one);
    REQUIRE(first.has_value());
    CHECK(first->before == 0);
    CHECK(first->after == 1);

    const std::array two{kFirst, kSecond};
    const auto second = migrate(loop, *connection, two);
    REQUIRE(second.has_value());
    CHECK(second->before == 1);
    CHECK(second->after == 2);
    CHECK(count_of(loop, *connection,
                   "SELECT count(*) FROM pg_tables WHERE tablename IN ('step_one', 'step_two')") ==
          2);
    CHECK(count_of(loop, *connection, "SELECT max(version) FROM tasksrun_schema_version") == 2);
}

TEST_CASE("schema: a failing migration leaves the database as it was", "[cluster][schema]") {
    EventLoop loop;
    auto connection = test::connect_to(loop, test::PgServer::shared().create_database());
    const std::array broken{kFirst, kBroken};
    const auto failed = migrate(loop, *connection, broken);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().sqlstate == "42704");  // undefined_object
    CHECK(count_of(loop, *connection,
                   "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'step_%' OR tablename = "
                   "'tasksrun_schema_version'") == 0);
}

TEST_CASE("schema: a database newer than this build is refused", "[cluster][schema]") {
    EventLoop loop;
    auto connection = test::connect_to(loop, test::PgServer::shared().create_database());
    const std::array two{kFirst, kSecond};
    REQUIRE(migrate(loop, *connection, two).has_value());
    const std::array one{kFirst};
    const auto refused = migrate(loop, *connection, one);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().message ==
          "the cluster database's schema is version 2, newer than this tasksrun knows (1): "
          "upgrade tasksrun on this replica");
    CHECK_FALSE(refused.error().connection);
}

}  // namespace
}  // namespace tasksrun

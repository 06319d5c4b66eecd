// Cluster-wide control on a real server: ctl changes as rows with revisions, announced by
// NOTIFY and found by polling; config hashes and the replicas that disagree.
#include "cluster/cluster_control.hpp"

#include <catch2/catch.hpp>

#include "support/pg_cluster.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::PgCluster;

ControlChanges poll(PgCluster& cluster, const std::string& replica, std::int64_t since) {
    return cluster.ok<ControlChanges>(
        [&](auto done) { cluster[replica].control->poll(since, done); });
}

TEST_CASE("control: a stop on one replica is announced to the others and read by polling",
          "[cluster][control]") {
    PgCluster cluster;
    std::vector<std::string> announced;
    cluster.add("a");
    cluster.add("b", {}, {.notified = [&](const std::string& channel, const std::string& payload) {
                    if (channel == ClusterControl::kControlChannel) announced.push_back(payload);
                }});
    cluster["b"].control->listen();
    const ControlChanges initial = poll(cluster, "b", 0);
    CHECK(initial.tasks.empty());
    CHECK(initial.revision == 0);

    const TaskControl stopped = cluster.ok<TaskControl>(
        [&](auto done) { cluster["a"].control->set_stopped("backup", true, done); });
    CHECK(stopped.task == "backup");
    CHECK(stopped.stopped);
    CHECK(stopped.changed_by == "a");
    CHECK_FALSE(stopped.schedule.has_value());

    REQUIRE(test::run_until(cluster.loop, [&] { return !announced.empty(); }));
    CHECK(announced == std::vector<std::string>{std::to_string(stopped.revision)});

    const ControlChanges changes = poll(cluster, "b", initial.revision);
    REQUIRE(changes.tasks.size() == 1);
    CHECK(changes.tasks[0].task == "backup");
    CHECK(changes.tasks[0].stopped);
    CHECK(changes.tasks[0].revision == stopped.revision);
    CHECK(changes.revision == stopped.revision);
    CHECK(poll(cluster, "b", changes.revision).tasks.empty());
}

TEST_CASE("control: the latest change per task is its state; poll(0) gives the whole state",
          "[cluster][control]") {
    PgCluster cluster;
    cluster.add("a");
    cluster.add("b");
    auto& a = *cluster["a"].control;
    cluster.ok<TaskControl>([&](auto done) { a.set_stopped("backup", true, done); });
    cluster.ok<TaskControl>([&](auto done) { a.set_schedule("report", "{ minutes = 5 }", done); });
    const TaskControl started =
        cluster.ok<TaskControl>([&](auto done) { a.set_stopped("backup", false, done); });
    const TaskControl reset =
        cluster.ok<TaskControl>([&](auto done) { a.set_schedule("report", std::nullopt, done); });

    const ControlChanges all = poll(cluster, "b", 0);
    REQUIRE(all.tasks.size() == 2);
    CHECK(all.tasks[0].task == "backup");
    CHECK_FALSE(all.tasks[0].stopped);
    CHECK(all.tasks[0].revision == started.revision);
    CHECK(all.tasks[1].task == "report");
    CHECK_FALSE(all.tasks[1].schedule.has_value());
    CHECK(all.revision == reset.revision);

    // A changed interval keeps the stop state, and the other way round.
    cluster.ok<TaskControl>([&](auto done) { a.set_stopped("report", true, done); });
    const TaskControl both = cluster.ok<TaskControl>(
        [&](auto done) { a.set_schedule("report", "{ seconds = 30 }", done); });
    CHECK(both.stopped);
    CHECK(both.schedule == "{ seconds = 30 }");
}

TEST_CASE("control: a reload request reaches every replica's poll", "[cluster][control]") {
    PgCluster cluster;
    cluster.add("a");
    cluster.add("b");
    const auto revision =
        cluster.ok<std::int64_t>([&](auto done) { cluster["a"].control->request_reload(done); });
    const ControlChanges changes = poll(cluster, "b", 0);
    CHECK(changes.tasks.empty());
    REQUIRE(changes.reloads.size() == 1);
    CHECK(changes.reloads[0].revision == revision);
    CHECK(changes.reloads[0].requested_by == "a");
    CHECK(changes.revision == revision);
}

TEST_CASE("control: the replicas whose config differs are listed", "[cluster][control]") {
    PgCluster cluster;
    for (const std::string name : {"a", "b", "c"}) cluster.add(name);
    const auto publish = [&](const std::string& replica,
                             std::map<std::string, std::string> hashes) {
        cluster.ok<void>(
            [&](auto done) { cluster[replica].control->publish_config(hashes, done); });
    };
    publish("a", {{"report", "h1"}, {"backup", "b1"}});
    publish("b", {{"report", "h1"}, {"backup", "b1"}});
    publish("c", {{"report", "h2"}, {"backup", "b1"}, {"only-here", "z"}});
    const auto differ = cluster.ok<std::vector<ConfigDisagreement>>(
        [&](auto done) { cluster["a"].control->config_disagreements(done); });
    REQUIRE(differ.size() == 1);
    CHECK(differ[0].task == "report");
    CHECK(differ[0].replica == "c");
    CHECK(differ[0].config_hash == "h2");
    CHECK(differ[0].cluster_hash == "h1");

    // c's next config drops the difference (and a task): nothing differs any more.
    publish("c", {{"report", "h1"}, {"backup", "b1"}});
    CHECK(cluster
              .ok<std::vector<ConfigDisagreement>>(
                  [&](auto done) { cluster["a"].control->config_disagreements(done); })
              .empty());
    CHECK(cluster.sql("a", "SELECT count(*) FROM tasksrun_task_configs WHERE replica = 'c'")
              .int64(0, 0) == 2);

    const auto seen = cluster.ok<std::vector<ReplicaSeen>>(
        [&](auto done) { cluster["a"].control->replicas(done); });
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].replica == "a");
    CHECK(seen[2].replica == "c");
    CHECK(std::ranges::all_of(seen, [](const ReplicaSeen& r) { return r.live; }));
}

}  // namespace
}  // namespace tasksrun

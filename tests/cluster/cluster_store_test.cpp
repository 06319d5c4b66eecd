// The slot lifecycle on a real server, with several replicas as separate connections: claim
// races, attempts checked against the lease, renewals, takeovers with fencing, on_crash,
// config agreement, history and pruning.
#include "cluster/cluster_store.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>
#include <thread>

#include "support/pg_cluster.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::PgCluster;
using test::this_second;

const std::string kHash = "hash-1";

std::vector<ClaimRequest> slots_of(const std::string& task, Instant first, int count,
                                   const std::string& hash = kHash) {
    std::vector<ClaimRequest> requests;
    for (int i = 0; i < count; ++i)
        requests.push_back(
            {.task = task, .slot = first + std::chrono::seconds{i}, .config_hash = hash});
    return requests;
}

std::vector<ClaimOutcome> claim(PgCluster& cluster, const std::string& replica,
                                std::vector<ClaimRequest> requests) {
    return cluster.ok<std::vector<ClaimOutcome>>(
        [&](auto done) { cluster[replica].store->claim(std::move(requests), done); });
}

ClaimId won_claim(PgCluster& cluster, const std::string& replica, const std::string& task,
                  Instant slot) {
    const auto outcomes =
        claim(cluster, replica, {{.task = task, .slot = slot, .config_hash = kHash}});
    REQUIRE(outcomes.size() == 1);
    REQUIRE(outcomes[0].verdict == ClaimVerdict::won);
    return ClaimId{.task = task, .slot = slot, .fence = outcomes[0].fence};
}

AttemptGrant begin(PgCluster& cluster, const std::string& replica, const ClaimId& id,
                   std::uint32_t attempt = 1) {
    return cluster.ok<AttemptGrant>(
        [&](auto done) { cluster[replica].store->begin_attempt(id, attempt, 7, done); });
}

// A claim `replica` won and started its first attempt of.
ClaimId started_claim(PgCluster& cluster, const std::string& replica, const std::string& task,
                      Instant slot) {
    const ClaimId id = won_claim(cluster, replica, task, slot);
    REQUIRE(begin(cluster, replica, id).held);
    return id;
}

std::vector<Takeover> take_over(PgCluster& cluster, const std::string& replica,
                                const std::string& task, OnCrash on_crash,
                                Duration rerun_within = 1h) {
    return cluster.ok<std::vector<Takeover>>([&](auto done) {
        cluster[replica].store->take_over_expired({{.task = task,
                                                    .config_hash = kHash,
                                                    .on_crash = on_crash,
                                                    .rerun_within = rerun_within}},
                                                  100, done);
    });
}

bool finish(PgCluster& cluster, const std::string& replica, const ClaimId& id,
            RunOutcome outcome = RunOutcome::ok) {
    return cluster.ok<bool>([&](auto done) {
        cluster[replica].store->finish(
            id, {.outcome = outcome, .attempts = 2, .duration = 1500ms, .message = "done"}, done);
    });
}

std::vector<ClusterRun> history(PgCluster& cluster, const std::optional<std::string>& task,
                                std::size_t limit = 100) {
    return cluster.ok<std::vector<ClusterRun>>(
        [&](auto done) { cluster["a"].store->history(task, limit, done); });
}

void sleep_for(Duration duration) {
    std::this_thread::sleep_for(duration);
}

TEST_CASE("store: three replicas claiming the same slots at once: each slot has one winner",
          "[cluster][store]") {
    PgCluster cluster;
    const std::vector<std::string> names{"a", "b", "c"};
    for (const auto& name : names) cluster.add(name);
    const Instant first = this_second();
    constexpr int kSlots = 300;

    // Each replica sends its batch in its own order; the three statements run concurrently in
    // the server.
    std::map<std::string, std::vector<ClaimOutcome>> outcomes;
    std::mt19937 random(42);
    for (const auto& name : names) {
        auto requests = slots_of("tick", first, kSlots);
        std::ranges::shuffle(requests, random);
        cluster[name].store->claim(requests, [&outcomes, name](auto answer) {
            REQUIRE(answer.has_value());
            outcomes[name] = std::move(*answer);
        });
    }
    REQUIRE(test::run_until(cluster.loop, [&] { return outcomes.size() == names.size(); }));

    std::map<Instant, std::vector<std::string>> winners;
    std::set<std::int64_t> fences;
    for (const auto& [name, list] : outcomes) {
        REQUIRE(list.size() == kSlots);
        for (const ClaimOutcome& outcome : list) {
            CHECK(outcome.task == "tick");
            if (outcome.verdict == ClaimVerdict::won) {
                winners[outcome.slot].push_back(name);
                CHECK(fences.insert(outcome.fence).second);
                CHECK(outcome.lease.remaining() > 9s);
                CHECK(outcome.lease.remaining() <= 10s);
            } else {
                CHECK(outcome.verdict == ClaimVerdict::taken);
                CHECK(outcome.holder != name);
            }
        }
    }
    CHECK(winners.size() == kSlots);
    for (const auto& [slot, who] : winners) CHECK(who.size() == 1);
    CHECK(cluster.sql("a", "SELECT count(*) FROM tasksrun_claims").int64(0, 0) == kSlots);
}

TEST_CASE("store: a slot claimed before is taken, and its holder is named", "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a");
    cluster.add("b");
    const Instant slot = this_second();
    won_claim(cluster, "a", "report", slot);
    const auto second = claim(cluster, "b", slots_of("report", slot, 1));
    REQUIRE(second.size() == 1);
    CHECK(second[0].verdict == ClaimVerdict::taken);
    CHECK(second[0].holder == "a");
}

TEST_CASE("store: a replica that claims again a slot it holds and never started gets its fence",
          "[cluster][store]") {
    // Its first answer was lost with the connection; the claim itself was committed.
    PgCluster cluster;
    cluster.add("a");
    const Instant slot = this_second();
    const ClaimId id = won_claim(cluster, "a", "report", slot);
    const auto again = claim(cluster, "a", slots_of("report", slot, 1));
    REQUIRE(again[0].verdict == ClaimVerdict::won);
    CHECK(again[0].fence == id.fence);

    // Once started, it is not handed out again.
    REQUIRE(begin(cluster, "a", id).held);
    CHECK(claim(cluster, "a", slots_of("report", slot, 1))[0].verdict == ClaimVerdict::taken);
}

TEST_CASE("store: an attempt starts only with the claim's fence and an unexpired lease",
          "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.lease = 300ms});
    cluster.add("b");
    const Instant slot = this_second();
    const ClaimId id = won_claim(cluster, "a", "report", slot);

    const AttemptGrant grant = begin(cluster, "a", id);
    REQUIRE(grant.held);
    CHECK(grant.lease.remaining() > 200ms);
    CHECK(grant.lease.remaining() <= 300ms);

    ClaimId forged = id;
    forged.fence += 1000;
    const AttemptGrant wrong_fence = begin(cluster, "a", forged);
    CHECK_FALSE(wrong_fence.held);
    CHECK(wrong_fence.reason == "taken over by replica a (fence " + std::to_string(id.fence) + ")");
    CHECK_FALSE(begin(cluster, "b", id).held);  // another replica cannot use a's fence

    sleep_for(400ms);
    const AttemptGrant late = begin(cluster, "a", id, 2);
    CHECK_FALSE(late.held);
    CHECK(late.reason == "the lease ran out");

    const auto runs = history(cluster, "report");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].record.outcome == "running");
    CHECK(runs[0].record.attempts == 1);
    CHECK(runs[0].record.loop == 7);
}

TEST_CASE("store: renewals keep a claim held past its first lease", "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.lease = 400ms});
    cluster.add("b");
    const Instant slot = this_second();
    const ClaimId id = started_claim(cluster, "a", "long", slot);
    for (int i = 0; i < 6; ++i) {
        sleep_for(150ms);
        const auto renewals = cluster.ok<std::vector<Renewal>>(
            [&](auto done) { cluster["a"].store->renew({id}, done); });
        REQUIRE(renewals.size() == 1);
        CHECK(renewals[0].renewed);
        CHECK(renewals[0].lease.remaining() > 300ms);
    }
    // 900 ms after the claim, well past one lease: still held, and nobody can take it.
    CHECK(take_over(cluster, "b", "long", OnCrash::rerun).empty());
    CHECK(begin(cluster, "a", id, 2).held);
}

TEST_CASE("store: after a takeover the old fence is refused everywhere", "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.lease = 300ms});
    cluster.add("b");
    const Instant slot = this_second();
    const ClaimId old = started_claim(cluster, "a", "report", slot);

    // a stops renewing (killed, paused, cut off): b takes the slot over once the lease ends.
    CHECK(take_over(cluster, "b", "report", OnCrash::rerun).empty());  // not expired yet
    sleep_for(400ms);
    const auto takeovers = take_over(cluster, "b", "report", OnCrash::rerun);
    REQUIRE(takeovers.size() == 1);
    const Takeover& t = takeovers[0];
    CHECK(t.action == TakeoverAction::rerun);
    CHECK(t.slot == slot);
    CHECK(t.previous_replica == "a");
    CHECK(t.previous_fence == old.fence);
    CHECK(t.was_started);
    CHECK(t.fence > old.fence);
    CHECK(t.lease.remaining() > 9s);

    // a comes back and tries to go on with its old fence.
    const AttemptGrant refused = begin(cluster, "a", old, 2);
    CHECK_FALSE(refused.held);
    CHECK(refused.reason == "taken over by replica b (fence " + std::to_string(t.fence) + ")");
    const auto renewals = cluster.ok<std::vector<Renewal>>(
        [&](auto done) { cluster["a"].store->renew({old}, done); });
    CHECK_FALSE(renewals[0].renewed);
    CHECK_FALSE(finish(cluster, "a", old));

    const ClaimId taken{.task = "report", .slot = slot, .fence = t.fence};
    REQUIRE(begin(cluster, "b", taken).held);
    CHECK(finish(cluster, "b", taken));
    CHECK_FALSE(finish(cluster, "b", taken));  // once

    const auto runs = history(cluster, "report");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].record.outcome == "ok");
    CHECK(runs[0].replica == "b");
    CHECK(runs[0].previous_replica == "a");
    CHECK(runs[0].takeovers == 1);
    CHECK(runs[0].record.id == t.fence);
}

TEST_CASE("store: on_crash = skip records a started slot abandoned; nobody runs it",
          "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.lease = 300ms});
    cluster.add("b");
    cluster.add("c");
    const Instant slot = this_second();
    const ClaimId old = started_claim(cluster, "a", "post", slot);
    sleep_for(400ms);
    const auto takeovers = take_over(cluster, "b", "post", OnCrash::skip);
    REQUIRE(takeovers.size() == 1);
    CHECK(takeovers[0].action == TakeoverAction::abandoned);
    CHECK(takeovers[0].was_started);
    CHECK(take_over(cluster, "c", "post", OnCrash::skip).empty());  // decided once

    const auto runs = history(cluster, "post");
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].record.outcome == "abandoned");
    CHECK(runs[0].replica == "a");
    CHECK(runs[0].record.message ==
          "replica a stopped renewing its lease during the run (on_crash = skip)");
    CHECK_FALSE(finish(cluster, "a", old));
}

TEST_CASE("store: a claim whose holder died before starting runs elsewhere, even with skip",
          "[cluster][store]") {
    // Nothing ran: running it is not running it twice.
    PgCluster cluster;
    cluster.add("a", {.lease = 300ms});
    cluster.add("b");
    const Instant slot = this_second();
    won_claim(cluster, "a", "post", slot);
    sleep_for(400ms);
    const auto takeovers = take_over(cluster, "b", "post", OnCrash::skip);
    REQUIRE(takeovers.size() == 1);
    CHECK(takeovers[0].action == TakeoverAction::rerun);
    CHECK_FALSE(takeovers[0].was_started);
}

TEST_CASE("store: a slot past its rerun window is abandoned, even with rerun", "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.lease = 300ms});
    cluster.add("b");
    const Instant slot = this_second() - 2h;
    const ClaimId old = started_claim(cluster, "a", "post", slot);
    sleep_for(400ms);
    const auto takeovers = take_over(cluster, "b", "post", OnCrash::rerun, 1h);
    REQUIRE(takeovers.size() == 1);
    CHECK(takeovers[0].action == TakeoverAction::abandoned);
    const auto runs = history(cluster, "post");
    CHECK(runs[0].record.message ==
          "replica a stopped renewing its lease; the slot is past misfire_grace");
}

TEST_CASE("store: two replicas taking over at once: each expired slot goes to one of them",
          "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.lease = 300ms});
    cluster.add("b");
    cluster.add("c");
    const auto won = claim(cluster, "a", slots_of("batch", this_second(), 50));
    REQUIRE(std::ranges::all_of(won, [](const auto& o) { return o.verdict == ClaimVerdict::won; }));
    sleep_for(400ms);
    std::map<std::string, std::vector<Takeover>> got;
    for (const std::string name : {"b", "c"}) {
        cluster[name].store->take_over_expired({{.task = "batch",
                                                 .config_hash = kHash,
                                                 .on_crash = OnCrash::rerun,
                                                 .rerun_within = 1h}},
                                               100, [&got, name](auto answer) {
                                                   REQUIRE(answer.has_value());
                                                   got[name] = std::move(*answer);
                                               });
    }
    REQUIRE(test::run_until(cluster.loop, [&] { return got.size() == 2; }));
    std::set<Instant> slots;
    for (const auto& [name, list] : got) {
        for (const Takeover& t : list) CHECK(slots.insert(t.slot).second);
    }
    // A slot locked by one is skipped by the other, not waited for: a second pass finds the
    // rest (if any).
    const auto rest = take_over(cluster, "b", "batch", OnCrash::rerun);
    for (const Takeover& t : rest) CHECK(slots.insert(t.slot).second);
    CHECK(slots.size() == 50);
}

TEST_CASE("store: a replica whose config for a task differs does not claim it",
          "[cluster][store]") {
    PgCluster cluster;
    for (const std::string name : {"a", "b", "c"}) cluster.add(name);
    const auto publish = [&](const std::string& replica, const std::string& hash) {
        cluster.ok<void>([&](auto done) {
            cluster[replica].control->publish_config({{"report", hash}, {"other", "x"}}, done);
        });
    };
    publish("a", "h1");
    publish("b", "h1");
    publish("c", "h2");
    const Instant slot = this_second();
    const auto refused = claim(cluster, "c", slots_of("report", slot, 1, "h2"));
    REQUIRE(refused[0].verdict == ClaimVerdict::config_differs);
    CHECK(refused[0].cluster_hash == "h1");
    CHECK(claim(cluster, "a", slots_of("report", slot, 1, "h1"))[0].verdict == ClaimVerdict::won);
    // Tasks the configs agree on are not affected.
    CHECK(claim(cluster, "c", slots_of("other", slot, 1, "x"))[0].verdict == ClaimVerdict::won);

    // A rolling update: once most replicas have the new config, it is the cluster's.
    publish("b", "h2");
    CHECK(claim(cluster, "a", slots_of("report", slot + 1s, 1, "h1"))[0].verdict ==
          ClaimVerdict::config_differs);
    CHECK(claim(cluster, "c", slots_of("report", slot + 1s, 1, "h2"))[0].verdict ==
          ClaimVerdict::won);
}

TEST_CASE("store: in a tie, the config published last is the cluster's", "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a");
    cluster.add("b");
    cluster.ok<void>([&](auto done) {
        cluster["a"].control->publish_config({{"report", "old"}}, done);
    });
    cluster.ok<void>([&](auto done) {
        cluster["b"].control->publish_config({{"report", "new"}}, done);
    });
    const Instant slot = this_second();
    CHECK(claim(cluster, "a", slots_of("report", slot, 1, "old"))[0].verdict ==
          ClaimVerdict::config_differs);
    CHECK(claim(cluster, "b", slots_of("report", slot, 1, "new"))[0].verdict == ClaimVerdict::won);
}

TEST_CASE("store: a replica not seen for a while no longer counts in the agreement",
          "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.config_live_for = 300ms});
    cluster.add("b", {.config_live_for = 300ms});
    cluster.add("c", {.config_live_for = 300ms});
    for (const std::string name : {"a", "b"})
        cluster.ok<void>([&](auto done) {
            cluster[name].control->publish_config({{"t", "old"}}, done);
        });
    cluster.ok<void>([&](auto done) {
        cluster["c"].control->publish_config({{"t", "new"}}, done);
    });
    const Instant slot = this_second();
    CHECK(claim(cluster, "c", slots_of("t", slot, 1, "new"))[0].verdict ==
          ClaimVerdict::config_differs);
    sleep_for(400ms);  // a and b are gone; c polls
    cluster.ok<ControlChanges>([&](auto done) { cluster["c"].control->poll(0, done); });
    CHECK(claim(cluster, "c", slots_of("t", slot, 1, "new"))[0].verdict == ClaimVerdict::won);
}

TEST_CASE("store: history lists the cluster's runs, newest first, per task", "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a");
    cluster.add("b");
    const Instant base = this_second() - 1h;
    const ClaimId one = won_claim(cluster, "a", "alpha", base);
    const ClaimId two = won_claim(cluster, "b", "beta", base + 1min);
    const ClaimId three = won_claim(cluster, "b", "alpha", base + 2min);
    REQUIRE(begin(cluster, "a", one).held);
    REQUIRE(finish(cluster, "a", one, RunOutcome::failed));
    REQUIRE(begin(cluster, "b", two).held);
    REQUIRE(finish(cluster, "b", two, RunOutcome::cancelled));
    (void)three;  // claimed, not started

    const auto all = history(cluster, std::nullopt);
    REQUIRE(all.size() == 3);
    CHECK(all[0].record.task == "alpha");
    CHECK(all[0].record.scheduled == base + 2min);
    CHECK(all[0].record.outcome == "claimed");
    CHECK(all[0].replica == "b");
    CHECK(all[1].record.outcome == "cancelled");
    CHECK(all[2].record.outcome == "failed");
    CHECK(all[2].record.attempts == 2);
    CHECK(all[2].record.duration == Duration{1500ms});
    CHECK(all[2].record.message == "done");
    CHECK(all[2].record.lateness >= 1h);  // claimed and started an hour after its slot

    const auto alpha = history(cluster, "alpha");
    REQUIRE(alpha.size() == 2);
    CHECK(alpha[0].record.scheduled > alpha[1].record.scheduled);
    CHECK(history(cluster, std::nullopt, 1).size() == 1);
    CHECK(history(cluster, "gamma").empty());
}

TEST_CASE("store: pruning keeps the newest runs, and a pruned slot cannot be claimed again",
          "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a", {.keep_per_task = 3});
    const Instant base = this_second() - 10min;
    for (int i = 0; i < 5; ++i) {
        const ClaimId id = started_claim(cluster, "a", "tick", base + std::chrono::seconds{i});
        REQUIRE(finish(cluster, "a", id));
    }
    // An unfinished claim is never pruned.
    won_claim(cluster, "a", "tick", base - 1min);
    const auto pruned =
        cluster.ok<std::uint64_t>([&](auto done) { cluster["a"].store->prune(done); });
    CHECK(pruned == 2);
    CHECK(history(cluster, "tick").size() == 4);

    const auto again = claim(cluster, "a", slots_of("tick", base, 3));
    CHECK(again[0].verdict == ClaimVerdict::pruned);  // deleted
    CHECK(again[1].verdict == ClaimVerdict::pruned);  // deleted
    CHECK(again[2].verdict == ClaimVerdict::taken);   // kept
    CHECK(claim(cluster, "a", slots_of("tick", base + 1h, 1))[0].verdict == ClaimVerdict::won);
}

TEST_CASE("store: while the database is down nothing is claimed; errors are values",
          "[cluster][store]") {
    PgCluster cluster;
    cluster.add("a");
    struct Restart {
        ~Restart() {
            if (!test::PgServer::shared().running()) test::PgServer::shared().start();
        }
    } restart;
    test::PgServer::shared().stop_immediately();
    const auto failed = test::await<std::expected<std::vector<ClaimOutcome>, PgError>>(
        cluster.loop,
        [&](auto done) { cluster["a"].store->claim(slots_of("tick", this_second(), 3), done); });
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().connection);
    test::PgServer::shared().start();
    REQUIRE(test::run_until(cluster.loop, [&] {
        return cluster["a"].connection->status().state == PgConnection::State::connected;
    }));
    const auto outcomes = claim(cluster, "a", slots_of("tick", this_second(), 3));
    CHECK(std::ranges::all_of(outcomes,
                              [](const auto& o) { return o.verdict == ClaimVerdict::won; }));
}

}  // namespace
}  // namespace tasksrun

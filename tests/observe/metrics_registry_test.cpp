// The registry: what the runtime reports, counted per task and per webhook, created lazily.
#include "observe/metrics_registry.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

TEST_CASE("registry: a task has no storage until its first iteration", "[observe]") {
    MetricsRegistry registry;
    CHECK(registry.task("idle") == nullptr);
    registry.iteration_started("busy", 2ms);
    REQUIRE(registry.task("busy") != nullptr);
    CHECK(registry.task("busy")->lateness.count() == 1);
    CHECK(registry.task("idle") == nullptr);
}

TEST_CASE("registry: iterations count by final status, and retrying is not an end", "[observe]") {
    MetricsRegistry registry;
    const Instant t = at("2025-03-02T09:00:00Z");
    registry.iteration_ended("t", RunStatus::retrying, 1s, t);
    registry.iteration_ended("t", RunStatus::failed, 3s, t);
    registry.iteration_ended("t", RunStatus::ok, 2s, t + 1min);
    registry.iteration_ended("t", RunStatus::ok, 1s, t + 2min);
    registry.iteration_ended("t", RunStatus::stopped, 1s, t + 3min);
    const TaskMetrics& metrics = *registry.task("t");
    CHECK(metrics.runs_with(RunStatus::ok) == 2);
    CHECK(metrics.runs_with(RunStatus::failed) == 1);
    CHECK(metrics.runs_with(RunStatus::stopped) == 1);
    CHECK(metrics.runs_with(RunStatus::cancelled) == 0);
    CHECK(metrics.runs_with(RunStatus::retrying) == 0);
    CHECK(metrics.duration.count() == 4);
    CHECK(metrics.duration.sum_seconds() == Approx(7));
    CHECK(registry.last_success("t") == t + 2min);
}

TEST_CASE("registry: attempts count by class, kept in class order", "[observe]") {
    MetricsRegistry registry;
    for (const char* c : {"timeout", "ok", "exit:3", "timeout", "ok", "ok"})
        registry.attempt_ended("t", c);
    using Entry = std::pair<std::string, std::uint64_t>;
    CHECK(registry.task("t")->attempts ==
          std::vector<Entry>{{"exit:3", 1}, {"ok", 3}, {"timeout", 2}});
}

TEST_CASE("registry: remembered successes seed the last success, and a later one replaces them",
          "[observe]") {
    MetricsRegistry registry;
    const Instant t = at("2025-03-02T09:00:00Z");
    registry.seed_last_successes({{"a", t}, {"b", t}});
    CHECK(registry.last_success("a") == t);
    CHECK_FALSE(registry.last_success("c").has_value());
    CHECK(registry.task("a") == nullptr);  // seeding allocates no per-task storage
    registry.iteration_ended("a", RunStatus::ok, 1s, t + 1h);
    registry.iteration_ended("b", RunStatus::failed, 1s, t + 1h);
    CHECK(registry.last_success("a") == t + 1h);
    CHECK(registry.last_success("b") == t);
}

TEST_CASE("registry: webhooks count answers by code and add up rate-limit waits", "[observe]") {
    MetricsRegistry registry;
    CHECK(registry.webhook("team") == nullptr);
    registry.webhook_answered("team", "204");
    registry.webhook_answered("team", "429");
    registry.webhook_answered("team", "204");
    registry.webhook_answered("team", "timeout");
    registry.webhook_rate_limited("team", 1500ms);
    registry.webhook_rate_limited("team", 500ms);
    const WebhookMetrics& team = *registry.webhook("team");
    CHECK(team.requests_by_code == std::map<std::string, std::uint64_t, std::less<>>{
                                       {"204", 2}, {"429", 1}, {"timeout", 1}});
    CHECK(team.rate_limited == 2s);
}

TEST_CASE("registry: reloads count as applied or refused", "[observe]") {
    MetricsRegistry registry;
    registry.config_reloaded(true);
    registry.config_reloaded(false);
    registry.config_reloaded(true);
    CHECK(registry.reloads_applied() == 2);
    CHECK(registry.reloads_refused() == 1);
}

}  // namespace
}  // namespace tasksrun

// /metrics as a whole: which families and samples a snapshot and a registry give.
#include "observe/metrics_exposition.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
        lines.push_back(text.substr(start, end - start));
    CHECK(start == text.size());  // every line ends with a line feed
    return lines;
}

bool has_line(const std::vector<std::string>& lines, const std::string& line) {
    return std::ranges::find(lines, line) != lines.end();
}

std::size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
    return std::ranges::count_if(lines,
                                 [&](const std::string& l) { return l.starts_with(prefix); });
}

DaemonSnapshot two_tasks(Instant now) {
    DaemonSnapshot snapshot{.now = now};
    snapshot.tasks.push_back(TaskSnapshot{.name = "backup",
                                          .state = "running",
                                          .schedule = "every 1h",
                                          .next_run = now + 30min,
                                          .interval = 1h,
                                          .running = 1});
    snapshot.tasks.push_back(TaskSnapshot{.name = "idle", .state = "idle", .schedule = "every 1h"});
    snapshot.webhooks = {"team", "we\"ird"};
    return snapshot;
}

TEST_CASE("metrics: every family of SPEC 13 has HELP and TYPE, once, in order", "[observe]") {
    MetricsRegistry registry;
    const auto lines =
        lines_of(write_metrics(registry, two_tasks(at("2025-03-02T09:00:00Z")), "1.2.3"));
    const std::vector<std::pair<std::string, std::string>> families = {
        {"tasksrun_build_info", "gauge"},
        {"tasksrun_config_reloads_total", "counter"},
        {"tasksrun_task_runs_total", "counter"},
        {"tasksrun_task_attempts_total", "counter"},
        {"tasksrun_task_duration_seconds", "histogram"},
        {"tasksrun_task_lateness_seconds", "histogram"},
        {"tasksrun_task_last_success_timestamp_seconds", "gauge"},
        {"tasksrun_task_next_run_timestamp_seconds", "gauge"},
        {"tasksrun_task_interval_seconds", "gauge"},
        {"tasksrun_task_running", "gauge"},
        {"tasksrun_webhook_requests_total", "counter"},
        {"tasksrun_webhook_rate_limited_seconds_total", "counter"},
    };
    std::vector<std::string> types;
    for (const std::string& line : lines) {
        if (line.starts_with("# TYPE ")) types.push_back(line.substr(7));
    }
    std::vector<std::string> expected;
    for (const auto& [name, type] : families) expected.push_back(name + " " + type);
    CHECK(types == expected);
    CHECK(count_prefix(lines, "# HELP ") == families.size());
    CHECK(has_line(lines, "tasksrun_build_info{version=\"1.2.3\"} 1"));
    CHECK(has_line(lines, "tasksrun_config_reloads_total{result=\"success\"} 0"));
    CHECK(has_line(lines, "tasksrun_config_reloads_total{result=\"failure\"} 0"));
}

TEST_CASE(
    "metrics: a cluster replica says whether its database answers, a lone daemon says nothing",
    "[observe]") {
    MetricsRegistry registry;
    DaemonSnapshot snapshot = two_tasks(at("2025-03-02T09:00:00Z"));
    CHECK(count_prefix(lines_of(write_metrics(registry, snapshot, "1")), "tasksrun_cluster") == 0);
    snapshot.cluster = DaemonSnapshot::Cluster{.replica = "a", .connected = true};
    auto lines = lines_of(write_metrics(registry, snapshot, "1"));
    CHECK(has_line(lines, "# TYPE tasksrun_cluster_connected gauge"));
    CHECK(has_line(lines, "tasksrun_cluster_connected{replica=\"a\"} 1"));
    snapshot.cluster->connected = false;
    lines = lines_of(write_metrics(registry, snapshot, "1"));
    CHECK(has_line(lines, "tasksrun_cluster_connected{replica=\"a\"} 0"));
}

TEST_CASE("metrics: a task that never ran has zero runs and its gauges, no histograms",
          "[observe]") {
    MetricsRegistry registry;
    const Instant now = at("2025-03-02T09:00:00Z");
    const auto lines = lines_of(write_metrics(registry, two_tasks(now), "1"));
    for (const char* outcome : {"ok", "failed", "cancelled", "stopped"}) {
        CHECK(has_line(lines, std::string("tasksrun_task_runs_total{task=\"idle\",outcome=\"") +
                                  outcome + "\"} 0"));
    }
    CHECK(count_prefix(lines, "tasksrun_task_attempts_total{") == 0);
    CHECK(count_prefix(lines, "tasksrun_task_duration_seconds_") == 0);
    CHECK(count_prefix(lines, "tasksrun_task_lateness_seconds_") == 0);
    CHECK(count_prefix(lines, "tasksrun_task_last_success_timestamp_seconds{") == 0);
    CHECK(has_line(lines, "tasksrun_task_running{task=\"idle\"} 0"));
    CHECK(count_prefix(lines, "tasksrun_task_next_run_timestamp_seconds{task=\"idle\"}") == 0);
    // The scheduled one.
    CHECK(has_line(lines, "tasksrun_task_running{task=\"backup\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_next_run_timestamp_seconds{task=\"backup\"} 1740907800"));
    CHECK(has_line(lines, "tasksrun_task_interval_seconds{task=\"backup\"} 3600"));
}

TEST_CASE("metrics: counters and histograms of a task that ran", "[observe]") {
    MetricsRegistry registry;
    const Instant now = at("2025-03-02T09:00:00Z");
    registry.iteration_started("backup", 4ms);
    registry.attempt_ended("backup", "exit:75");
    registry.attempt_ended("backup", "ok");
    registry.iteration_ended("backup", RunStatus::ok, 90s, at("2025-03-02T08:00:01.5Z"));
    const auto lines = lines_of(write_metrics(registry, two_tasks(now), "1"));
    CHECK(has_line(lines, "tasksrun_task_runs_total{task=\"backup\",outcome=\"ok\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_runs_total{task=\"backup\",outcome=\"failed\"} 0"));
    CHECK(has_line(lines, "tasksrun_task_attempts_total{task=\"backup\",class=\"exit:75\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_attempts_total{task=\"backup\",class=\"ok\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_duration_seconds_bucket{task=\"backup\",le=\"60\"} 0"));
    CHECK(has_line(lines, "tasksrun_task_duration_seconds_bucket{task=\"backup\",le=\"300\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_duration_seconds_sum{task=\"backup\"} 90"));
    CHECK(has_line(lines, "tasksrun_task_duration_seconds_count{task=\"backup\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_lateness_seconds_bucket{task=\"backup\",le=\"0.005\"} 1"));
    CHECK(has_line(lines, "tasksrun_task_lateness_seconds_count{task=\"backup\"} 1"));
    CHECK(has_line(lines,
                   "tasksrun_task_last_success_timestamp_seconds{task=\"backup\"} 1740902401.5"));
    CHECK(count_prefix(lines, "tasksrun_task_duration_seconds_bucket{task=\"backup\"") ==
          kHistogramBounds + 1);
}

TEST_CASE("metrics: webhooks by code, rate-limit seconds for every configured webhook",
          "[observe]") {
    MetricsRegistry registry;
    registry.webhook_answered("we\"ird", "204");
    registry.webhook_answered("we\"ird", "network");
    registry.webhook_rate_limited("we\"ird", 2500ms);
    registry.webhook_answered("removed", "204");  // left the config: not written
    const auto lines =
        lines_of(write_metrics(registry, two_tasks(at("2025-03-02T09:00:00Z")), "1"));
    CHECK(has_line(lines, "tasksrun_webhook_requests_total{webhook=\"we\\\"ird\",code=\"204\"} 1"));
    CHECK(has_line(lines,
                   "tasksrun_webhook_requests_total{webhook=\"we\\\"ird\",code=\"network\"} 1"));
    CHECK(
        has_line(lines, "tasksrun_webhook_rate_limited_seconds_total{webhook=\"we\\\"ird\"} 2.5"));
    CHECK(has_line(lines, "tasksrun_webhook_rate_limited_seconds_total{webhook=\"team\"} 0"));
    CHECK(count_prefix(lines, "tasksrun_webhook_requests_total{webhook=\"team\"") == 0);
    CHECK(count_prefix(lines, "tasksrun_webhook_requests_total{webhook=\"removed\"") == 0);
}

}  // namespace
}  // namespace tasksrun

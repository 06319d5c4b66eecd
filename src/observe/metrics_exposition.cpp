#include "observe/metrics_exposition.hpp"

#include <vector>

#include "observe/prometheus_text.hpp"

namespace tasksrun {
namespace {

double unix_seconds(Instant at) {
    return to_seconds(at.time_since_epoch());
}

void write_daemon(PrometheusText& out, const MetricsRegistry& registry, std::string_view version) {
    out.family("tasksrun_build_info", "gauge", "Always 1; the version of the running tasksrun.");
    out.sample("tasksrun_build_info", {{"version", version}}, std::uint64_t{1});
    out.family("tasksrun_config_reloads_total", "counter",
               "Reloads (SIGHUP) since the daemon started: applied (success), or refused because "
               "the new config was not valid (failure).");
    out.sample("tasksrun_config_reloads_total", {{"result", "success"}},
               registry.reloads_applied());
    out.sample("tasksrun_config_reloads_total", {{"result", "failure"}},
               registry.reloads_refused());
}

void write_cluster(PrometheusText& out, const DaemonSnapshot& snapshot) {
    if (!snapshot.cluster) return;
    out.family("tasksrun_cluster_connected", "gauge",
               "Cluster mode: 1 while this replica's database answers, 0 while it does not (then "
               "nothing is claimed, so nothing fires).");
    out.sample("tasksrun_cluster_connected", {{"replica", snapshot.cluster->replica}},
               std::uint64_t{snapshot.cluster->connected ? 1U : 0U});
}

// Counters and histograms: kept by the registry since the daemon started.
void write_task_counters(PrometheusText& out, const DaemonSnapshot& snapshot,
                         const std::vector<const TaskMetrics*>& metrics) {
    const auto& tasks = snapshot.tasks;
    out.family("tasksrun_task_runs_total", "counter",
               "Iterations that ended since the daemon started, by outcome (ok, failed, "
               "cancelled, stopped); the same runs `tasksrun history` lists.");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        for (const RunStatus status : kFinalRunStatuses) {
            out.sample("tasksrun_task_runs_total",
                       {{"task", tasks[i].name}, {"outcome", to_string(status)}},
                       metrics[i] != nullptr ? metrics[i]->runs_with(status) : std::uint64_t{0});
        }
    }
    out.family("tasksrun_task_attempts_total", "counter",
               "Attempts that ended since the daemon started, by class: ok, cancelled, or the "
               "failure class (network, timeout, http-429, http-5xx, http-4xx, exit:N, signal, "
               "spawn).");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (metrics[i] == nullptr) continue;
        for (const auto& [attempt_class, count] : metrics[i]->attempts)
            out.sample("tasksrun_task_attempts_total",
                       {{"task", tasks[i].name}, {"class", attempt_class}}, count);
    }
    out.family("tasksrun_task_duration_seconds", "histogram",
               "How long iterations took, from their first attempt's start to their end, retries "
               "and their waits included.");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (metrics[i] != nullptr)
            out.histogram("tasksrun_task_duration_seconds", {{"task", tasks[i].name}},
                          metrics[i]->duration);
    }
    out.family("tasksrun_task_lateness_seconds", "histogram",
               "How late iterations started after their slot (plus jitter) was due.");
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (metrics[i] != nullptr)
            out.histogram("tasksrun_task_lateness_seconds", {{"task", tasks[i].name}},
                          metrics[i]->lateness);
    }
}

// Gauges: the present, from the snapshot (and the last success, which the registry keeps).
void write_task_gauges(PrometheusText& out, const MetricsRegistry& registry,
                       const DaemonSnapshot& snapshot) {
    out.family("tasksrun_task_last_success_timestamp_seconds", "gauge",
               "When the task's last successful iteration ended (Unix time), as far back as the "
               "state database remembers; absent if it never succeeded.");
    for (const TaskSnapshot& task : snapshot.tasks) {
        if (const auto at = registry.last_success(task.name))
            out.sample("tasksrun_task_last_success_timestamp_seconds", {{"task", task.name}},
                       unix_seconds(*at));
    }
    out.family("tasksrun_task_next_run_timestamp_seconds", "gauge",
               "When the task's next slot is due (Unix time); absent when nothing is scheduled.");
    for (const TaskSnapshot& task : snapshot.tasks) {
        if (task.next_run)
            out.sample("tasksrun_task_next_run_timestamp_seconds", {{"task", task.name}},
                       unix_seconds(*task.next_run));
    }
    out.family("tasksrun_task_interval_seconds", "gauge",
               "Time between the task's slots: the interval, or for time and cron the gap after "
               "the next slot; absent when nothing is scheduled.");
    for (const TaskSnapshot& task : snapshot.tasks) {
        if (task.interval)
            out.sample("tasksrun_task_interval_seconds", {{"task", task.name}},
                       to_seconds(*task.interval));
    }
    out.family("tasksrun_task_running", "gauge",
               "Iterations of the task with an attempt running now (more than 1 only with "
               "overlap).");
    for (const TaskSnapshot& task : snapshot.tasks)
        out.sample("tasksrun_task_running", {{"task", task.name}}, std::uint64_t{task.running});
}

void write_webhooks(PrometheusText& out, const MetricsRegistry& registry,
                    const DaemonSnapshot& snapshot) {
    out.family("tasksrun_webhook_requests_total", "counter",
               "Requests to the webhook that ended since the daemon started, by HTTP status "
               "code, or network or timeout when no answer came.");
    for (const std::string_view webhook : snapshot.webhooks) {
        const WebhookMetrics* metrics = registry.webhook(webhook);
        if (metrics == nullptr) continue;
        for (const auto& [code, count] : metrics->requests_by_code)
            out.sample("tasksrun_webhook_requests_total", {{"webhook", webhook}, {"code", code}},
                       count);
    }
    out.family("tasksrun_webhook_rate_limited_seconds_total", "counter",
               "Time requests to the webhook were held back by its rate limit (Discord's "
               "buckets and 429 answers) since the daemon started.");
    for (const std::string_view webhook : snapshot.webhooks) {
        const WebhookMetrics* metrics = registry.webhook(webhook);
        out.sample("tasksrun_webhook_rate_limited_seconds_total", {{"webhook", webhook}},
                   metrics != nullptr ? to_seconds(metrics->rate_limited) : 0.0);
    }
}

}  // namespace

std::string write_metrics(const MetricsRegistry& registry, const DaemonSnapshot& snapshot,
                          std::string_view version) {
    std::vector<const TaskMetrics*> metrics;
    metrics.reserve(snapshot.tasks.size());
    for (const TaskSnapshot& task : snapshot.tasks) metrics.push_back(registry.task(task.name));
    // About 2.2 KiB for a task that has run, 0.4 KiB for one that has not.
    std::size_t bytes = 4096;
    for (const TaskMetrics* task : metrics) bytes += task != nullptr ? 2304 : 384;
    PrometheusText out;
    out.reserve(bytes);
    write_daemon(out, registry, version);
    write_cluster(out, snapshot);
    write_task_counters(out, snapshot, metrics);
    write_task_gauges(out, registry, snapshot);
    write_webhooks(out, registry, snapshot);
    return out.take();
}

}  // namespace tasksrun

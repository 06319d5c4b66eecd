#include "observe/metrics_registry.hpp"

#include <algorithm>

namespace tasksrun {
namespace {

// The entry for `key` in a map with transparent lookup, created empty if missing.
template <typename Map>
typename Map::mapped_type& entry(Map& map, std::string_view key) {
    auto it = map.find(key);
    if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
    return it->second;
}

template <typename Map>
const typename Map::mapped_type* find_entry(const Map& map, std::string_view key) {
    const auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
}

}  // namespace

void MetricsRegistry::seed_last_successes(const std::map<std::string, Instant>& last_successes) {
    for (const auto& [task, at] : last_successes) {
        Instant& known = entry(last_success_, task);
        known = std::max(known, at);
    }
}

TaskMetrics& MetricsRegistry::task_metrics(std::string_view name) {
    return entry(tasks_, name);
}

WebhookMetrics& MetricsRegistry::webhook_metrics(std::string_view name) {
    return entry(webhooks_, name);
}

void MetricsRegistry::iteration_started(std::string_view task, Duration lateness) {
    task_metrics(task).lateness.observe(lateness);
}

void MetricsRegistry::attempt_ended(std::string_view task, std::string_view attempt_class) {
    auto& attempts = task_metrics(task).attempts;
    const auto it =
        std::ranges::lower_bound(attempts, attempt_class, {},
                                 [](const auto& entry) -> std::string_view { return entry.first; });
    if (it != attempts.end() && it->first == attempt_class) {
        ++it->second;
    } else {
        attempts.insert(it, {std::string(attempt_class), 1});
    }
}

void MetricsRegistry::iteration_ended(std::string_view task, RunStatus status, Duration elapsed,
                                      Instant ended) {
    if (status == RunStatus::retrying) return;  // not an end
    TaskMetrics& metrics = task_metrics(task);
    ++metrics.runs[static_cast<std::size_t>(status)];
    metrics.duration.observe(elapsed);
    if (status == RunStatus::ok) entry(last_success_, task) = ended;
}

void MetricsRegistry::webhook_answered(std::string_view webhook, std::string_view code) {
    ++entry(webhook_metrics(webhook).requests_by_code, code);
}

void MetricsRegistry::webhook_rate_limited(std::string_view webhook, Duration waited) {
    webhook_metrics(webhook).rate_limited += waited;
}

void MetricsRegistry::config_reloaded(bool applied) {
    ++(applied ? reloads_applied_ : reloads_refused_);
}

const TaskMetrics* MetricsRegistry::task(std::string_view name) const {
    return find_entry(tasks_, name);
}

std::optional<Instant> MetricsRegistry::last_success(std::string_view task) const {
    const Instant* at = find_entry(last_success_, task);
    return at == nullptr ? std::nullopt : std::optional(*at);
}

const WebhookMetrics* MetricsRegistry::webhook(std::string_view name) const {
    return find_entry(webhooks_, name);
}

}  // namespace tasksrun

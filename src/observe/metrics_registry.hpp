#pragma once
// The counters and histograms behind /metrics, kept as the runtime reports events (Observer).
// Gauges that describe the present (next run, running) are not kept here: they are read from
// the runtime's snapshot when /metrics is written. A task's storage is created with its first
// iteration, so idle tasks cost nothing; storage of a task that left the config is kept (and
// no longer written) so that its counters continue if it comes back. Not thread-safe: the event
// loop's thread owns it.
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "observe/histogram.hpp"
#include "observe/observer.hpp"

namespace tasksrun {

// The statuses an iteration ends with, in the order /metrics lists them.
inline constexpr std::array<RunStatus, 4> kFinalRunStatuses = {
    RunStatus::ok, RunStatus::failed, RunStatus::cancelled, RunStatus::stopped};

struct TaskMetrics {
    std::array<std::uint64_t, 5> runs{};  // by RunStatus; `retrying` stays 0
    // By attempt class, sorted by class: a task meets few of them.
    std::vector<std::pair<std::string, std::uint64_t>> attempts;
    Histogram duration{kDurationBounds};
    Histogram lateness{kLatenessBounds};

    std::uint64_t runs_with(RunStatus status) const {
        return runs[static_cast<std::size_t>(status)];
    }
};

struct WebhookMetrics {
    std::map<std::string, std::uint64_t, std::less<>> requests_by_code;
    Duration rate_limited{0};
};

class MetricsRegistry final : public Observer {
  public:
    // The last success of each task as the state database remembers it, so that a restart does
    // not make a task look as if it never succeeded. Later successes replace these.
    void seed_last_successes(const std::map<std::string, Instant>& last_successes);

    void iteration_started(std::string_view task, Duration lateness) override;
    void attempt_ended(std::string_view task, std::string_view attempt_class) override;
    void iteration_ended(std::string_view task, RunStatus status, Duration elapsed,
                         Instant ended) override;
    void webhook_answered(std::string_view webhook, std::string_view code) override;
    void webhook_rate_limited(std::string_view webhook, Duration waited) override;
    void config_reloaded(bool applied) override;

    // Null for a task that has not started an iteration since the daemon started.
    const TaskMetrics* task(std::string_view name) const;
    std::optional<Instant> last_success(std::string_view task) const;
    // Null for a webhook that has not been sent to.
    const WebhookMetrics* webhook(std::string_view name) const;
    std::uint64_t reloads_applied() const { return reloads_applied_; }
    std::uint64_t reloads_refused() const { return reloads_refused_; }

  private:
    TaskMetrics& task_metrics(std::string_view name);
    WebhookMetrics& webhook_metrics(std::string_view name);

    std::map<std::string, TaskMetrics, std::less<>> tasks_;
    std::map<std::string, Instant, std::less<>> last_success_;
    std::map<std::string, WebhookMetrics, std::less<>> webhooks_;
    std::uint64_t reloads_applied_ = 0;
    std::uint64_t reloads_refused_ = 0;
};

}  // namespace tasksrun

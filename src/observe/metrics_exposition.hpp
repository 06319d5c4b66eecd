#pragma once
// /metrics: every family of SPEC 13 in the Prometheus text format, from the registry's counters
// and histograms and a snapshot's gauges. Only the snapshot's tasks and webhooks are written:
// what a reload removed disappears from /metrics.
#include <string>
#include <string_view>

#include "observe/metrics_registry.hpp"
#include "observe/snapshot.hpp"

namespace tasksrun {

std::string write_metrics(const MetricsRegistry& registry, const DaemonSnapshot& snapshot,
                          std::string_view version);

}  // namespace tasksrun

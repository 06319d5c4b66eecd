#pragma once
// `tasksrun history` in cluster mode: the cluster's runs, from its database, whichever replica
// ran them.
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_types.hpp"
#include "config/config.hpp"

namespace tasksrun {

// The newest `limit` runs (of `task`, when set), newest slot first. Connects, reads and
// disconnects; gives up after `timeout` with a message that says why, never the password.
std::expected<std::vector<ClusterRun>, std::string> read_cluster_history(
    const ClusterSettings& settings, const std::optional<std::string>& task, std::size_t limit,
    Duration timeout = std::chrono::seconds{10});

}  // namespace tasksrun

#pragma once
#include <optional>
#include <string>

#include "config/config.hpp"

namespace tasksrun {

// Loads and validates the config, printing every diagnostic to stderr (warnings too).
// nullopt means the config is invalid: the caller exits with exit_code::config.
std::optional<Config> load_config_reporting(const std::string& path);

// The task named `name`, or null after printing "tasksrun COMMAND: no task named ..." with a
// suggestion (the caller exits with exit_code::usage).
const TaskConfig* find_task_reporting(const Config& config, const std::string& name,
                                      std::string_view command);

// The zone a task's firings are shown in: its own for time/cron, the default for intervals.
const Zone& display_zone(const TaskConfig& task, const Config& config);

}  // namespace tasksrun

#pragma once
// `tasksrun run-once`: fire one task's action now, like awaiting the Loop itself in discord.py.
#include "config/config.hpp"
#include "log/logger.hpp"
#include "loop/events.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

// Runs the action once (no retries). With `with_hooks`: before_loop first (the action is skipped
// if it fails), then on_success or on_error, then after_loop. SIGINT/SIGTERM cancel it.
// Returns the action's outcome. Precondition: `endpoints` holds every endpoint the task uses.
Outcome run_once(const TaskConfig& task, Logger& logger, const ResolvedEndpoints& endpoints,
                 bool with_hooks);

}  // namespace tasksrun

#pragma once
// `tasksrun run-once`: fire one task's action now, like awaiting the Loop itself in discord.py,
// through a TaskRunner as the daemon runs it: one iteration, at once, no schedule, no retries,
// no health ping, nothing recorded in the state store.
#include <string>

#include "config/config.hpp"
#include "log/logger.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

// With `with_hooks`: before_loop first (the action is skipped if it fails), then on_success or
// on_error (and on_recover, which never follows a first iteration), then after_loop; the hooks
// see what they would see in the daemon. SIGINT/SIGTERM cancel it. Returns whether the action
// ran and succeeded. Precondition: `endpoints` holds every endpoint the task (and, with hooks,
// its hooks) use.
bool run_once(Config config, const std::string& task, Logger& logger, ResolvedEndpoints endpoints,
              bool with_hooks);

}  // namespace tasksrun

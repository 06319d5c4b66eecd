#pragma once
// Starts a task's action or hook, whichever kind it is, with what it should know: the TASKSRUN_*
// environment for a command, the {{placeholder}} values for a webhook.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actions/action_run.hpp"
#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "event/event_loop.hpp"
#include "log/logger.hpp"
#include "loop/events.hpp"
#include "runtime/runtime_env.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

// What starting a command or a webhook takes.
struct ActionServices {
    EventLoop& events;
    Logger& logger;
    WebhookSender& webhooks;
    const std::string& hostname;
};

// The TASKSRUN_* variables a command sees (SPEC 3); hooks get their context too.
std::vector<std::pair<std::string, std::string>> task_environment(const LaunchContext& context);
// The values of {{task}}, {{loop}} ... for a webhook body.
TemplateValues template_values(const LaunchContext& context, const std::string& hostname);

// `done` is called exactly once, later, from the event loop.
std::unique_ptr<ActionRun> launch_action(const ActionServices& services, const Action& action,
                                         const LaunchContext& context,
                                         std::function<void(Outcome)> done);

}  // namespace tasksrun

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
#include "log/logger.hpp"
#include "loop/events.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

class StateStore;

struct RuntimeServices {
    EventLoop& events;
    Logger& logger;
    WebhookSender& webhooks;
    Pinger& pinger;
    const ResolvedEndpoints& endpoints;
    std::string hostname;
    StateStore* store = nullptr;  // null: nothing persists
};

struct LaunchContext {
    const TaskConfig* task;
    std::uint64_t loop = 0;
    std::optional<Instant> scheduled = std::nullopt;
    std::uint32_t attempt = 1;
    std::optional<HookKind> hook = std::nullopt;  // set when launching a hook
    const HookContext* hook_context = nullptr;
    std::optional<Duration> timeout = std::nullopt;
};

// The TASKSRUN_* variables a command sees (SPEC 3); hooks get their context too.
std::vector<std::pair<std::string, std::string>> task_environment(const LaunchContext& context);
// The values of {{task}}, {{loop}} ... for a webhook body.
TemplateValues template_values(const LaunchContext& context, const std::string& hostname);

// `done` is called exactly once, later, from the event loop.
std::unique_ptr<ActionRun> launch_action(const RuntimeServices& services, const Action& action,
                                         const LaunchContext& context,
                                         std::function<void(Outcome)> done);

}  // namespace tasksrun

#include "runtime/action_launcher.hpp"

#include "actions/command_runner.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {

std::vector<std::pair<std::string, std::string>> task_environment(const LaunchContext& context) {
    std::vector<std::pair<std::string, std::string>> env = {
        {"TASKSRUN_TASK", context.task->name},
        {"TASKSRUN_LOOP", std::to_string(context.loop)},
        {"TASKSRUN_SCHEDULED_AT", context.scheduled ? format_utc(*context.scheduled) : ""},
        {"TASKSRUN_ATTEMPT", std::to_string(context.attempt)},
    };
    if (!context.hook) return env;
    env.emplace_back("TASKSRUN_HOOK", std::string(to_string(*context.hook)));
    const HookContext* hook = context.hook_context;
    const Outcome* outcome = hook != nullptr && hook->outcome ? &*hook->outcome : nullptr;
    env.emplace_back("TASKSRUN_ERROR", outcome ? outcome->error : "");
    env.emplace_back("TASKSRUN_EXIT_CODE",
                     outcome && outcome->exit_code ? std::to_string(*outcome->exit_code) : "");
    env.emplace_back("TASKSRUN_HTTP_STATUS",
                     outcome && outcome->http_status ? std::to_string(*outcome->http_status) : "");
    env.emplace_back("TASKSRUN_OUTPUT_TAIL", outcome ? outcome->output_tail : "");
    env.emplace_back("TASKSRUN_CANCELLED", hook != nullptr && hook->cancelled ? "1" : "0");
    env.emplace_back("TASKSRUN_FAILED", hook != nullptr && hook->failed ? "1" : "0");
    return env;
}

TemplateValues template_values(const LaunchContext& context, const std::string& hostname) {
    TemplateValues values;
    values.task = context.task->name;
    values.loop = std::to_string(context.loop);
    values.scheduled_at = context.scheduled ? format_utc(*context.scheduled) : "";
    values.hostname = hostname;
    const HookContext* hook = context.hook_context;
    if (hook != nullptr && hook->outcome) {
        const Outcome& outcome = *hook->outcome;
        values.error = outcome.error;
        values.exit_code = outcome.exit_code ? std::to_string(*outcome.exit_code) : "";
        values.http_status = outcome.http_status ? std::to_string(*outcome.http_status) : "";
        values.output_tail = outcome.output_tail;
        values.duration =
            format_duration(std::chrono::floor<std::chrono::milliseconds>(outcome.duration));
    }
    return values;
}

std::unique_ptr<ActionRun> launch_action(const RuntimeServices& services, const Action& action,
                                         const LaunchContext& context,
                                         std::function<void(Outcome)> done) {
    if (const auto* command = std::get_if<CommandAction>(&action)) {
        CommandLaunch launch{.action = command,
                             .environment = task_environment(context),
                             .timeout = context.timeout,
                             .task = context.task->name};
        return std::make_unique<CommandRun>(services.events, services.logger, std::move(launch),
                                            std::move(done));
    }
    const auto& webhook = std::get<WebhookAction>(action);
    WebhookSend send{.action = &webhook,
                     .webhook = &services.resolved.at(webhook.webhook),
                     .values = template_values(context, services.hostname),
                     .timeout = context.timeout.value_or(std::chrono::seconds{30}),
                     .task = context.task->name};
    return services.webhooks.send(std::move(send), std::move(done));
}

}  // namespace tasksrun

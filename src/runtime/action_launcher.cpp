#include "runtime/action_launcher.hpp"

#include "actions/command_runner.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {

namespace {

TemplateScope scope_of(const LaunchContext& context) {
    if (!context.hook) return TemplateScope::task;
    return *context.hook == HookKind::on_recover ? TemplateScope::recover_hook
                                                 : TemplateScope::hook;
}

// A command may print a webhook's URL or token (read from a file, say); whatever it printed
// must not carry it into a request body (SPEC 10.4).
TemplateValues scrubbed(TemplateValues values, const Redactor& redactor) {
    for (std::string& value : values.by_placeholder) {
        if (!value.empty()) value = redactor.scrub(value);
    }
    return values;
}

}  // namespace

TemplateValues template_values(const LaunchContext& context, const std::string& hostname) {
    TemplateValues values;
    values[Placeholder::task] = context.task->name;
    values[Placeholder::loop] = std::to_string(context.loop);
    values[Placeholder::scheduled_at] = context.scheduled ? format_utc(*context.scheduled) : "";
    values[Placeholder::hostname] = hostname;
    const HookContext* hook = context.hook_context;
    if (hook == nullptr) return values;
    if (hook->outcome) {
        const Outcome& outcome = *hook->outcome;
        values[Placeholder::error] = outcome.error;
        values[Placeholder::exit_code] =
            outcome.exit_code ? std::to_string(*outcome.exit_code) : "";
        values[Placeholder::http_status] =
            outcome.http_status ? std::to_string(*outcome.http_status) : "";
        values[Placeholder::output_tail] = outcome.output_tail;
        if (outcome.output) values[Placeholder::output] = *outcome.output;
        values[Placeholder::duration] =
            format_duration(std::chrono::floor<std::chrono::milliseconds>(outcome.duration));
    }
    if (hook->attempts > 0) values[Placeholder::attempts] = std::to_string(hook->attempts);
    if (hook->failed_iterations > 0)
        values[Placeholder::failed_iterations] = std::to_string(hook->failed_iterations);
    if (hook->down_since) values[Placeholder::down_since] = format_utc(*hook->down_since);
    return values;
}

std::vector<std::pair<std::string, std::string>> task_environment(const LaunchContext& context) {
    const TemplateScope scope = scope_of(context);
    TemplateValues values = template_values(context, {});
    std::vector<std::pair<std::string, std::string>> env;
    for (const PlaceholderInfo& placeholder : placeholders()) {
        if (placeholder.env.empty() || placeholder.scope > scope) continue;
        env.emplace_back(placeholder.env, std::move(values[placeholder.placeholder]));
    }
    env.emplace_back("TASKSRUN_ATTEMPT", std::to_string(context.attempt));
    if (context.claim) {
        // Cluster mode (SPEC 14): the slot, who runs it, and the fencing token that whatever
        // the command writes to can check, so that a replica that lost the slot is refused.
        env.emplace_back("TASKSRUN_SLOT", format_utc(context.claim->slot));
        env.emplace_back("TASKSRUN_REPLICA", std::string(context.replica));
        env.emplace_back("TASKSRUN_FENCE", std::to_string(context.claim->fence));
    }
    if (!context.hook) return env;
    const HookContext* hook = context.hook_context;
    env.emplace_back("TASKSRUN_HOOK", std::string(to_string(*context.hook)));
    env.emplace_back("TASKSRUN_CANCELLED", hook != nullptr && hook->cancelled ? "1" : "0");
    env.emplace_back("TASKSRUN_FAILED", hook != nullptr && hook->failed ? "1" : "0");
    return env;
}

std::unique_ptr<ActionRun> launch_action(const ActionServices& services, const Action& action,
                                         const LaunchContext& context,
                                         std::function<void(Outcome)> done) {
    if (const auto* command = std::get_if<CommandAction>(&action)) {
        CommandLaunch launch{.action = command,
                             .environment = task_environment(context),
                             .hidden_variables = &context.endpoints->secret_variables,
                             .timeout = context.timeout,
                             .task = context.task->name,
                             .hook = context.hook,
                             .output_limit = context.task->output_limit};
        return std::make_unique<CommandRun>(services.events, services.logger, std::move(launch),
                                            std::move(done));
    }
    const auto& webhook = std::get<WebhookAction>(action);
    WebhookSend send{.action = &webhook,
                     .webhook = &context.endpoints->webhooks.at(webhook.webhook),
                     .values = scrubbed(template_values(context, services.hostname),
                                        *context.endpoints->redactor),
                     .timeout = context.timeout.value_or(std::chrono::seconds{30}),
                     .task = context.task->name};
    return services.webhooks.send(std::move(send), std::move(done));
}

}  // namespace tasksrun

#pragma once
// Turns the config's webhook endpoints into URLs in hand, at start: url_env and url_file are
// read here, once. Every secret goes to the Redactor before anything can log it.
#include <expected>
#include <string>
#include <unordered_map>
#include <vector>

#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "log/redact.hpp"

namespace tasksrun {

// By webhook name; looked up for every request, so hashed.
using ResolvedWebhooks = std::unordered_map<std::string, ResolvedWebhook>;

// Calls `visit` with each webhook action of a task: its action, then its hooks'.
template <typename Visit>
void for_each_webhook_action(const TaskConfig& task, Visit visit) {
    const auto one = [&](const Action& action) {
        if (const auto* webhook = std::get_if<WebhookAction>(&action)) visit(*webhook);
    };
    one(task.action);
    for (const auto* hook : {&task.hooks.before_loop, &task.hooks.after_loop, &task.hooks.on_error,
                             &task.hooks.on_success}) {
        if (*hook) one((*hook)->action);
    }
}

// The endpoints that the given tasks (and their hooks) use. Errors name the task, the webhook
// and where its URL should come from, never the URL: an unset variable, an unreadable file, a
// URL that is not http(s), or a URL whose kind does not match the body keys.
std::expected<ResolvedWebhooks, std::vector<std::string>> resolve_webhooks(
    const Config& config, const std::vector<const TaskConfig*>& tasks, Redactor& redactor);

}  // namespace tasksrun

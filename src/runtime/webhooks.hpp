#pragma once
// Turns the config's webhook and ping endpoints into URLs in hand, at start: url_env and
// url_file are read here, once. Every secret goes to the Redactor before anything can log it.
#include <expected>
#include <string>
#include <unordered_map>
#include <vector>

#include "actions/pinger.hpp"
#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "log/redact.hpp"

namespace tasksrun {

// By name; looked up for every request, so hashed.
using ResolvedWebhooks = std::unordered_map<std::string, ResolvedWebhook>;
using ResolvedPings = std::unordered_map<std::string, ResolvedPing>;

struct ResolvedEndpoints {
    ResolvedWebhooks webhooks;
    ResolvedPings pings;
};

// Calls `visit` with each webhook action of a task: its action, then its hooks'.
template <typename Visit>
void for_each_webhook_action(const TaskConfig& task, Visit visit) {
    const auto one = [&](const Action& action) {
        if (const auto* webhook = std::get_if<WebhookAction>(&action)) visit(*webhook);
    };
    one(task.action);
    for (const auto& hook : task.hooks.by_kind) {
        if (hook) one(hook->action);
    }
}

// The endpoints that the given tasks (and their hooks) use. Errors name the task, the endpoint
// and where its URL should come from, never the URL: an unset variable, an unreadable file, a
// URL that is not http(s), or a webhook URL whose kind does not match the body keys.
std::expected<ResolvedEndpoints, std::vector<std::string>> resolve_endpoints(
    const Config& config, const std::vector<const TaskConfig*>& tasks, Redactor& redactor);

}  // namespace tasksrun

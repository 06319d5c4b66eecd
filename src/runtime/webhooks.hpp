#pragma once
// Turns the config's webhook and ping endpoints into URLs in hand, at start: url_env and
// url_file are read here, once. Every secret goes to the Redactor before anything can log it.
#include <expected>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actions/pinger.hpp"
#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "config/diagnostics.hpp"
#include "log/redact.hpp"

namespace tasksrun {

// By name; looked up for every request, so hashed.
using ResolvedWebhooks = std::unordered_map<std::string, ResolvedWebhook>;
using ResolvedPings = std::unordered_map<std::string, ResolvedPing>;

struct ResolvedEndpoints {
    ResolvedWebhooks webhooks;
    ResolvedPings pings;
    // Every variable a url_env (or cluster_url_env) of the config names, used or not: removed
    // from the environment of every command and hook, so that none can print a webhook's token
    // or the database's password (SPEC 10.4).
    std::vector<std::string> secret_variables;
    // Every secret in hand, to scrub from values templated into request bodies; never null.
    std::shared_ptr<const Redactor> redactor = std::make_shared<Redactor>();
};

// What a url, url_env or url_file holds (trimmed): the value, the variable's or the file's
// content; an error naming the variable or file when it cannot be had. For webhook and ping
// URLs, and for the cluster's connection string.
std::expected<std::string, std::string> read_secret(const UrlSource& source);

// Which of a task's endpoints are wanted: the daemon uses all of them; `run-once` only its
// action's, and its hooks' with --hooks.
struct EndpointUse {
    bool hooks = true;
    bool ping = true;
    bool cluster = true;  // the cluster's connection string
};

// Calls `visit` with each webhook action of a task in `use`: its action, then its hooks'.
template <typename Visit>
void for_each_webhook_action(const TaskConfig& task, Visit visit, EndpointUse use = {}) {
    const auto one = [&](const Action& action) {
        if (const auto* webhook = std::get_if<WebhookAction>(&action)) visit(*webhook);
    };
    one(task.action);
    if (!use.hooks) return;
    task.hooks.for_each([&](const Hook& hook) { one(hook.action); });
}

// The endpoints that the given tasks use, with `redactor` (which learns their secrets). Each error
// is placed at the endpoint's table and names the task, the endpoint and where its URL should come
// from, never the URL: an unset variable, an unreadable file, a URL that is not http(s), or a
// webhook URL whose kind does not match the body keys. The daemon refuses to start, or a reload, on
// any of them; `check` reports them.
std::expected<ResolvedEndpoints, Diagnostics> resolve_endpoints(
    const Config& config, const std::vector<const TaskConfig*>& tasks,
    std::shared_ptr<Redactor> redactor, EndpointUse use = {});

}  // namespace tasksrun

#pragma once
// Turns the config's webhook endpoints into URLs in hand, at start: url_env and url_file are
// read here, once. Every secret goes to the Redactor before anything can log it.
#include <expected>
#include <map>
#include <string>
#include <vector>

#include "actions/webhook_sender.hpp"
#include "config/config.hpp"
#include "log/redact.hpp"

namespace tasksrun {

using ResolvedWebhooks = std::map<std::string, ResolvedWebhook>;

// The endpoints that the given tasks (and their hooks) use. Errors name the task, the webhook
// and where its URL should come from, never the URL: an unset variable, an unreadable file, a
// URL that is not http(s), or a URL whose kind does not match the body keys.
std::expected<ResolvedWebhooks, std::vector<std::string>> resolve_webhooks(
    const Config& config, const std::vector<const TaskConfig*>& tasks, Redactor& redactor);

}  // namespace tasksrun

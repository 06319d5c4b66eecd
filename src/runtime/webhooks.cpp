#include "runtime/webhooks.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "config/action_parser.hpp"

namespace tasksrun {
namespace {

std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

std::expected<std::string, std::string> read_url(const WebhookEndpoint& endpoint) {
    switch (endpoint.url.from) {
        case UrlSource::From::literal:
            return endpoint.url.value;
        case UrlSource::From::env: {
            const char* value = std::getenv(endpoint.url.value.c_str());
            if (value == nullptr || *value == '\0') {
                return std::unexpected("the environment variable " + endpoint.url.value +
                                       " is not set");
            }
            return trimmed(value);
        }
        case UrlSource::From::file:
            break;
    }
    std::ifstream in(endpoint.url.value);
    if (!in)
        return std::unexpected("cannot read " + endpoint.url.value + ": " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    return trimmed(content.str());
}

std::string where_from(const WebhookEndpoint& endpoint) {
    switch (endpoint.url.from) {
        case UrlSource::From::literal:
            return "the url of [webhooks." + endpoint.name + "]";
        case UrlSource::From::env:
            return "$" + endpoint.url.value;
        case UrlSource::From::file:
            break;
    }
    return "the file " + endpoint.url.value;
}

// The token part of a Discord or Slack URL: the last path segment(s) after the id.
void add_url_secrets(const std::string& url, Redactor& redactor) {
    redactor.add_secret(url);
    const std::size_t webhooks = url.find("/webhooks/");
    if (webhooks != std::string::npos) {
        const std::size_t token = url.find('/', webhooks + 10);
        if (token != std::string::npos) redactor.add_secret(url.substr(token + 1));
    }
    const std::size_t services = url.find("/services/");
    if (services != std::string::npos) redactor.add_secret(url.substr(services + 10));
}

}  // namespace

std::expected<ResolvedWebhooks, std::vector<std::string>> resolve_webhooks(
    const Config& config, const std::vector<const TaskConfig*>& tasks, Redactor& redactor) {
    ResolvedWebhooks resolved;
    std::vector<std::string> errors;
    std::set<std::string> failed;
    const auto use = [&](const TaskConfig& task, const WebhookAction& webhook) {
        const WebhookEndpoint& endpoint = config.webhooks.at(webhook.webhook);
        const std::string label = "task \"" + task.name + "\", webhook \"" + endpoint.name + "\": ";
        if (failed.contains(endpoint.name)) return;
        if (!resolved.contains(endpoint.name)) {
            auto url = read_url(endpoint);
            if (url && !url->starts_with("https://") && !url->starts_with("http://")) {
                url = std::unexpected(where_from(endpoint) + " does not hold an http(s) URL");
            }
            if (!url) {
                errors.push_back(label + url.error());
                failed.insert(endpoint.name);
                return;
            }
            add_url_secrets(*url, redactor);
            const WebhookKind kind = endpoint.kind.value_or(detect_webhook_kind(*url));
            resolved.emplace(endpoint.name,
                             ResolvedWebhook{*url, kind, redact_url(*url), where_from(endpoint)});
        }
        const ResolvedWebhook& target = resolved.at(endpoint.name);
        if (target.kind != webhook.kind) {
            errors.push_back(label + "its URL is a " + std::string(to_string(target.kind)) +
                             " webhook but the task's body keys are " +
                             std::string(to_string(webhook.kind)) + " ones; set kind = \"" +
                             std::string(to_string(webhook.kind)) + "\" in [webhooks." +
                             endpoint.name + "] if the URL is right");
        }
    };
    for (const TaskConfig* task : tasks) {
        for_each_webhook_action(*task, [&](const WebhookAction& webhook) { use(*task, webhook); });
    }
    if (!errors.empty()) return std::unexpected(std::move(errors));
    return resolved;
}

}  // namespace tasksrun

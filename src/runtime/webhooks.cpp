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

// `section` is "[webhooks.team]" or "[pings.backup]".
std::string where_from(const UrlSource& source, const std::string& section) {
    switch (source.from) {
        case UrlSource::From::literal:
            return "the url of " + section;
        case UrlSource::From::env:
            return "$" + source.value;
        case UrlSource::From::file:
            break;
    }
    return "the file " + source.value;
}

// The URL, checked to be http(s).
std::expected<std::string, std::string> read_http_url(const UrlSource& source,
                                                      const std::string& section) {
    auto url = read_secret(source);
    if (url && !url->starts_with("https://") && !url->starts_with("http://")) {
        return std::unexpected(where_from(source, section) + " does not hold an http(s) URL");
    }
    return url;
}

// The token part of a Discord or Slack URL (the last path segment(s) after the id), and the
// check's id of a health-ping URL (its last path segment).
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

void add_ping_secrets(const std::string& url, Redactor& redactor) {
    redactor.add_secret(url);
    const std::string_view path(url.data(), std::min(url.find('?'), url.size()));
    const std::size_t last = path.find_last_of('/');
    // Short segments (a slug like "/backup") are not secret enough to scrub from every line.
    if (last != std::string_view::npos && path.size() - last - 1 >= 16)
        redactor.add_secret(std::string(path.substr(last + 1)));
}

}  // namespace

std::expected<std::string, std::string> read_secret(const UrlSource& source) {
    switch (source.from) {
        case UrlSource::From::literal:
            return source.value;
        case UrlSource::From::env: {
            const char* value = std::getenv(source.value.c_str());
            if (value == nullptr || *value == '\0') {
                return std::unexpected("the environment variable " + source.value + " is not set");
            }
            return trimmed(value);
        }
        case UrlSource::From::file:
            break;
    }
    std::ifstream in(source.value);
    if (!in) return std::unexpected("cannot read " + source.value + ": " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    return trimmed(content.str());
}

std::expected<ResolvedEndpoints, Diagnostics> resolve_endpoints(
    const Config& config, const std::vector<const TaskConfig*>& tasks,
    std::shared_ptr<Redactor> secrets, EndpointUse use) {
    Redactor& redactor = *secrets;
    ResolvedEndpoints resolved;
    const auto hide = [&](const UrlSource& source) {
        if (source.from == UrlSource::From::env) resolved.secret_variables.push_back(source.value);
    };
    for (const auto& [name, webhook] : config.webhooks) hide(webhook.url);
    for (const auto& [name, ping] : config.pings) hide(ping.url);
    if (config.settings.cluster) hide(config.settings.cluster->url);  // it may hold a password
    Diagnostics problems(config.path);
    std::set<std::string> failed;
    const auto use_webhook = [&](const TaskConfig& task, const WebhookAction& webhook) {
        const WebhookEndpoint& endpoint = config.webhooks.at(webhook.webhook);
        const std::string label = "task \"" + task.name + "\", webhook \"" + endpoint.name + "\": ";
        if (failed.contains("webhooks." + endpoint.name)) return;
        if (!resolved.webhooks.contains(endpoint.name)) {
            const std::string section = "[webhooks." + endpoint.name + "]";
            auto url = read_http_url(endpoint.url, section);
            if (!url) {
                problems.error(endpoint.position, label + url.error());
                failed.insert("webhooks." + endpoint.name);
                return;
            }
            add_url_secrets(*url, redactor);
            const WebhookKind kind = endpoint.kind.value_or(detect_webhook_kind(*url));
            resolved.webhooks.emplace(
                endpoint.name,
                ResolvedWebhook{*url, kind, redact_url(*url), where_from(endpoint.url, section)});
        }
        const ResolvedWebhook& target = resolved.webhooks.at(endpoint.name);
        if (target.kind != webhook.kind) {
            problems.error(endpoint.position,
                           label + "its URL is a " + std::string(to_string(target.kind)) +
                               " webhook but the task's body keys are " +
                               std::string(to_string(webhook.kind)) + " ones; set kind = \"" +
                               std::string(to_string(webhook.kind)) + "\" in [webhooks." +
                               endpoint.name + "] if the URL is right");
        }
    };
    const auto use_ping = [&](const TaskConfig& task, const std::string& name) {
        if (resolved.pings.contains(name) || failed.contains("pings." + name)) return;
        const PingEndpoint& endpoint = config.pings.at(name);
        auto url = read_http_url(endpoint.url, "[pings." + name + "]");
        if (!url) {
            problems.error(endpoint.position,
                           "task \"" + task.name + "\", ping \"" + name + "\": " + url.error());
            failed.insert("pings." + name);
            return;
        }
        add_ping_secrets(*url, redactor);
        resolved.pings.emplace(name, ResolvedPing{*url, redact_url(*url)});
    };
    if (config.settings.cluster && use.cluster) {
        if (auto conninfo = read_secret(config.settings.cluster->url); !conninfo)
            problems.error({}, "cluster: " + conninfo.error());
    }
    for (const TaskConfig* task : tasks) {
        for_each_webhook_action(
            *task, [&](const WebhookAction& webhook) { use_webhook(*task, webhook); }, use);
        if (task->ping && use.ping) use_ping(*task, *task->ping);
    }
    if (problems.has_errors()) return std::unexpected(std::move(problems));
    resolved.redactor = std::move(secrets);
    return resolved;
}

}  // namespace tasksrun

#pragma once
// Reads the action of a task or hook: a command (`run` / `command`) or a webhook with its
// Discord, Slack or generic body, fully validated.
#include <map>
#include <optional>
#include <span>
#include <string_view>

#include "config/config.hpp"
#include "config/templates.hpp"
#include "config/toml_reader.hpp"

namespace tasksrun {

// Every key that belongs to an action, whatever its kind.
std::span<const std::string_view> action_keys();

// Discord and Slack webhooks are recognised by their host and path; anything else is generic.
WebhookKind detect_webhook_kind(std::string_view url);
std::string_view to_string(WebhookKind kind);

class ActionParser {
  public:
    ActionParser(TomlReader& reader, const std::map<std::string, WebhookEndpoint>& webhooks)
        : reader_(reader), webhooks_(webhooks) {}

    // `table` is a [[task]] or a hook table; `where` names it in messages. Keys that are not
    // action keys are left to the caller. Returns nullopt after recording at least one error.
    std::optional<Action> parse(const toml::table& table, TemplateScope scope,
                                std::string_view where);

  private:
    std::optional<CommandAction> parse_command(const toml::table& table);
    std::optional<WebhookAction> parse_webhook(const toml::table& table, TemplateScope scope);
    std::optional<WebhookKind> body_kind(const toml::table& table, const WebhookEndpoint& endpoint);
    bool parse_discord_body(const toml::table& table, WebhookAction& action);
    // Reports what is wrong in [[task.embeds]]; false when it is not an array of tables at all.
    bool check_embeds(const toml::node& embeds);
    void check_embed_fields(const toml::node& fields);
    // allowed_mentions as written, checked; no pings when it is not.
    nlohmann::json allowed_mentions(const toml::table& table);
    bool parse_slack_body(const toml::table& table, WebhookAction& action);
    bool parse_generic_body(const toml::table& table, WebhookAction& action);
    // Reports keys of `table` that belong to other kinds of action than `allowed`.
    void reject_foreign_keys(const toml::table& table, std::span<const std::string_view> allowed,
                             std::string_view action_name);
    // The same for a webhook body: its family's keys and the keys every webhook has.
    void reject_foreign_body_keys(const toml::table& table,
                                  std::span<const std::string_view> body_keys,
                                  std::string_view action_name);
    void check_templates(const toml::table& table, const WebhookAction& action,
                         TemplateScope scope);

    TomlReader& reader_;
    const std::map<std::string, WebhookEndpoint>& webhooks_;
};

}  // namespace tasksrun

#include "config/action_parser.hpp"

#include <algorithm>
#include <csignal>
#include <sstream>
#include <tuple>

#include "config/discord_limits.hpp"
#include "util/duration.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr std::string_view kCommandKeys[] = {"run",           "command",     "cwd",         "env",
                                             "success_codes", "kill_signal", "kill_timeout"};
constexpr std::string_view kWebhookCommonKeys[] = {"webhook", "headers"};
constexpr std::string_view kDiscordKeys[] = {"content", "username",         "avatar_url", "tts",
                                             "embeds",  "allowed_mentions", "thread_id",  "flags",
                                             "wait",    "attach_output"};
constexpr std::string_view kSlackKeys[] = {"text", "blocks"};
constexpr std::string_view kGenericKeys[] = {"json", "body", "method"};

constexpr std::string_view kAllActionKeys[] = {
    "run",         "command",      "cwd",     "env",          "success_codes",
    "kill_signal", "kill_timeout", "webhook", "headers",      "content",
    "username",    "avatar_url",   "tts",     "embeds",       "allowed_mentions",
    "thread_id",   "flags",        "wait",    "text",         "blocks",
    "json",        "body",         "method",  "attach_output"};

constexpr std::string_view kEmbedKeys[] = {"title",  "description", "url",   "timestamp",
                                           "color",  "footer",      "image", "thumbnail",
                                           "author", "fields"};
constexpr std::string_view kEmbedFooterKeys[] = {"text", "icon_url"};
constexpr std::string_view kEmbedAuthorKeys[] = {"name", "url", "icon_url"};
constexpr std::string_view kEmbedMediaKeys[] = {"url"};
constexpr std::string_view kEmbedFieldKeys[] = {"name", "value", "inline"};
constexpr std::string_view kAllowedMentionsKeys[] = {"parse", "roles", "users", "replied_user"};

constexpr std::pair<std::string_view, int> kSignals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT}, {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"TERM", SIGTERM}};

constexpr std::pair<std::string_view, std::string_view> kMethods[] = {
    {"GET", "GET"}, {"POST", "POST"}, {"PUT", "PUT"}, {"PATCH", "PATCH"}, {"DELETE", "DELETE"}};

bool contains(std::span<const std::string_view> keys, std::string_view key) {
    return std::ranges::find(keys, key) != keys.end();
}

Json toml_to_json(const toml::node& node) {
    if (const auto* table = node.as_table()) {
        Json object = Json::object();
        for (const auto& [key, value] : *table)
            object[std::string(key.str())] = toml_to_json(value);
        return object;
    }
    if (const auto* array = node.as_array()) {
        Json list = Json::array();
        for (const toml::node& item : *array) list.push_back(toml_to_json(item));
        return list;
    }
    if (const auto* s = node.as_string()) return s->get();
    if (const auto* i = node.as_integer()) return i->get();
    if (const auto* f = node.as_floating_point()) return f->get();
    if (const auto* b = node.as_boolean()) return b->get();
    // Dates and times become the text TOML wrote them as.
    std::ostringstream text;
    node.visit([&](const auto& value) { text << value; });
    return text.str();
}

// The TOML node a JSON path of a body converted by toml_to_json came from.
const toml::node* node_at(const toml::table& root, const JsonPath& path) {
    const toml::node* node = &root;
    for (const JsonPathStep& step : path) {
        if (const auto* key = std::get_if<std::string>(&step)) {
            const auto* table = node->as_table();
            node = table != nullptr ? table->get(*key) : nullptr;
        } else {
            const auto* array = node->as_array();
            node = array != nullptr ? array->get(std::get<std::size_t>(step)) : nullptr;
        }
        if (node == nullptr) return nullptr;
    }
    return node;
}

std::optional<int> parse_signal(TomlReader& reader, const toml::table& table) {
    const toml::node* node = table.get("kill_signal");
    if (node == nullptr) return SIGTERM;
    if (const auto* number = node->as_integer()) {
        if (number->get() >= 1 && number->get() <= 64) return static_cast<int>(number->get());
        reader.error(*node, "\"kill_signal\" number must be between 1 and 64");
        return std::nullopt;
    }
    auto name = reader.string(table, "kill_signal");
    if (!name) return std::nullopt;
    std::string_view bare = *name;
    if (bare.starts_with("SIG")) bare.remove_prefix(3);
    for (const auto& [signal_name, number] : kSignals) {
        if (bare == signal_name) return number;
    }
    reader.error(*node, "\"kill_signal\": unknown signal \"" + *name +
                            "\" (use a name such as \"SIGTERM\" or \"SIGINT\", or a number)");
    return std::nullopt;
}

}  // namespace

std::span<const std::string_view> action_keys() {
    return kAllActionKeys;
}

std::string_view to_string(WebhookKind kind) {
    switch (kind) {
        case WebhookKind::discord:
            return "discord";
        case WebhookKind::slack:
            return "slack";
        case WebhookKind::generic:
            break;
    }
    return "generic";
}

WebhookKind detect_webhook_kind(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return WebhookKind::generic;
    const std::string_view rest = url.substr(scheme_end + 3);
    const std::string_view host = rest.substr(0, rest.find_first_of("/:?"));
    const std::string_view path = rest.substr(std::min(rest.size(), host.size()));
    constexpr std::string_view kDiscordHosts[] = {"discord.com", "discordapp.com",
                                                  "canary.discord.com", "ptb.discord.com"};
    if (contains(kDiscordHosts, host) && path.starts_with("/api/")) return WebhookKind::discord;
    if (host == "hooks.slack.com") return WebhookKind::slack;
    return WebhookKind::generic;
}

std::optional<Action> ActionParser::parse(const toml::table& table, TemplateScope scope,
                                          std::string_view where) {
    std::vector<std::string_view> present;  // in file order: toml++ iterates keys alphabetically
    for (const std::string_view key : {"webhook", "command", "run"}) {
        if (table.contains(key)) present.push_back(key);
    }
    std::ranges::sort(present, [&](std::string_view a, std::string_view b) {
        const SourcePosition pa = reader_.key_position(table, a);
        const SourcePosition pb = reader_.key_position(table, b);
        return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
    });
    if (present.empty()) {
        reader_.error(table, std::string(where) +
                                 " has no action: set one of \"webhook\", \"command\" or \"run\"");
        return std::nullopt;
    }
    if (present.size() > 1) {
        reader_.error(reader_.key_position(table, present[1]),
                      "\"" + std::string(present[0]) + "\" and \"" + std::string(present[1]) +
                          "\" are both set; " + std::string(where) + " has exactly one action");
        return std::nullopt;
    }
    if (present[0] == "webhook") {
        auto action = parse_webhook(table, scope);
        if (action) return Action{std::move(*action)};
        return std::nullopt;
    }
    auto action = parse_command(table);
    if (action) return Action{std::move(*action)};
    return std::nullopt;
}

void ActionParser::reject_foreign_keys(const toml::table& table,
                                       std::span<const std::string_view> allowed,
                                       std::string_view action_name) {
    for (const auto& [key, value] : table) {
        if (!contains(kAllActionKeys, key.str()) || contains(allowed, key.str())) continue;
        reader_.error(position_of(key), "\"" + std::string(key.str()) + "\" does not apply to " +
                                            std::string(action_name));
    }
}

void ActionParser::reject_foreign_body_keys(const toml::table& table,
                                            std::span<const std::string_view> body_keys,
                                            std::string_view action_name) {
    std::vector<std::string_view> allowed(body_keys.begin(), body_keys.end());
    allowed.insert(allowed.end(), std::begin(kWebhookCommonKeys), std::end(kWebhookCommonKeys));
    reject_foreign_keys(table, allowed, action_name);
}

std::optional<CommandAction> ActionParser::parse_command(const toml::table& table) {
    reject_foreign_keys(table, kCommandKeys, "a command action");
    CommandAction action;
    bool ok = true;
    const auto refuse_template = [&](const toml::node& node, std::string_view text) {
        if (!has_placeholder(text)) return;
        reader_.error(node,
                      "placeholders are not expanded in commands, so that no value can "
                      "inject shell code; read $TASKSRUN_TASK, $TASKSRUN_LOOP, "
                      "$TASKSRUN_SCHEDULED_AT ... from the environment instead");
        ok = false;
    };
    if (table.contains("run")) {
        action.shell = reader_.string(table, "run");
        if (!action.shell) return std::nullopt;
        if (action.shell->empty()) {
            reader_.error(*table.get("run"), "\"run\" must not be empty");
            return std::nullopt;
        }
        refuse_template(*table.get("run"), *action.shell);
    } else {
        auto argv = reader_.string_array(table, "command");
        if (!argv) return std::nullopt;
        if (argv->empty() || argv->front().empty()) {
            reader_.error(*table.get("command"),
                          "\"command\" needs a program: [\"program\", \"arg\", ...]");
            return std::nullopt;
        }
        for (const std::string& arg : *argv) refuse_template(*table.get("command"), arg);
        action.argv = std::move(*argv);
    }
    action.cwd = reader_.string(table, "cwd");
    if (auto env = reader_.string_table(table, "env")) action.env = std::move(*env);
    if (const toml::node* codes = table.get("success_codes")) {
        const toml::array* array = codes->as_array();
        if (array == nullptr || array->empty()) {
            reader_.error(*codes, "\"success_codes\" must be a non-empty array of exit codes");
            ok = false;
        } else {
            action.success_codes.clear();
            for (const toml::node& code : *array) {
                const auto* value = code.as_integer();
                if (value == nullptr || value->get() < 0 || value->get() > 255) {
                    reader_.error(code, "exit codes in \"success_codes\" are integers 0 to 255");
                    ok = false;
                } else {
                    action.success_codes.push_back(static_cast<int>(value->get()));
                }
            }
        }
    }
    const auto signal = parse_signal(reader_, table);
    ok = ok && signal.has_value();
    action.kill_signal = signal.value_or(SIGTERM);
    action.kill_timeout = reader_.duration(table, "kill_timeout").value_or(10s);
    if (!ok) return std::nullopt;
    return action;
}

std::optional<WebhookKind> ActionParser::body_kind(const toml::table& table,
                                                   const WebhookEndpoint& endpoint) {
    std::optional<WebhookKind> kind = endpoint.kind;
    if (!kind && endpoint.url.from == UrlSource::From::literal) {
        kind = detect_webhook_kind(endpoint.url.value);
    }
    if (kind) return kind;
    // The URL is a secret not known until run time: the body's keys say which kind is meant.
    for (const auto& [key, value] : table) {
        std::optional<WebhookKind> key_kind;
        if (contains(kDiscordKeys, key.str())) key_kind = WebhookKind::discord;
        if (contains(kSlackKeys, key.str())) key_kind = WebhookKind::slack;
        if (contains(kGenericKeys, key.str())) key_kind = WebhookKind::generic;
        if (key_kind && !kind) kind = key_kind;
    }
    return kind.value_or(WebhookKind::generic);
}

std::optional<WebhookAction> ActionParser::parse_webhook(const toml::table& table,
                                                         TemplateScope scope) {
    auto name = reader_.string(table, "webhook");
    if (!name) return std::nullopt;
    const auto endpoint = webhooks_.find(*name);
    if (endpoint == webhooks_.end()) {
        std::vector<std::string> names;
        for (const auto& [known, _] : webhooks_) names.push_back(known);
        reader_.error(*table.get("webhook"), "no webhook named \"" + *name + "\" in [webhooks]" +
                                                 did_you_mean(closest_match(*name, names)));
        return std::nullopt;
    }
    WebhookAction action;
    action.webhook = *name;
    action.kind = *body_kind(table, endpoint->second);
    if (auto headers = reader_.string_table(table, "headers")) action.headers = std::move(*headers);

    const std::size_t errors_before = reader_.diagnostics().error_count();
    bool ok = false;
    switch (action.kind) {
        case WebhookKind::discord:
            ok = parse_discord_body(table, action);
            break;
        case WebhookKind::slack:
            ok = parse_slack_body(table, action);
            break;
        case WebhookKind::generic:
            ok = parse_generic_body(table, action);
            break;
    }
    if (ok) check_templates(table, action, scope);
    if (action.json_body) action.limits = limited_texts(action.kind, *action.json_body);
    if (!ok || reader_.diagnostics().error_count() != errors_before) return std::nullopt;
    return action;
}

bool ActionParser::check_embeds(const toml::node& embeds) {
    const toml::array* list = embeds.as_array();
    if (list == nullptr || !list->is_homogeneous(toml::node_type::table)) {
        reader_.type_error(embeds, "embeds", "an array of tables ([[task.embeds]])");
        return false;
    }
    for (const toml::node& embed : *list) {
        const toml::table& e = *embed.as_table();
        reader_.reject_unknown_keys(e, kEmbedKeys, "an embed");
        if (const auto* footer = reader_.table(e, "footer"))
            reader_.reject_unknown_keys(*footer, kEmbedFooterKeys, "an embed footer");
        if (const auto* author = reader_.table(e, "author"))
            reader_.reject_unknown_keys(*author, kEmbedAuthorKeys, "an embed author");
        for (const std::string_view media : {"image", "thumbnail"}) {
            if (const auto* m = reader_.table(e, media))
                reader_.reject_unknown_keys(*m, kEmbedMediaKeys, "an embed " + std::string(media));
        }
        if (const auto color = reader_.integer(e, "color");
            color && (*color < 0 || *color > 0xFFFFFF)) {
            reader_.error(*e.get("color"), "embed \"color\" must be 0 to 16777215 (0xFFFFFF)");
        }
        if (const toml::node* fields = e.get("fields")) check_embed_fields(*fields);
    }
    return true;
}

void ActionParser::check_embed_fields(const toml::node& fields) {
    const toml::array* list = fields.as_array();
    if (list == nullptr || !list->is_homogeneous(toml::node_type::table)) {
        reader_.type_error(fields, "fields", "an array of tables");
        return;
    }
    for (const toml::node& field : *list) {
        const toml::table& f = *field.as_table();
        reader_.reject_unknown_keys(f, kEmbedFieldKeys, "an embed field");
        for (const std::string_view key : {"name", "value"}) {
            if (!f.contains(key))
                reader_.error(f, "an embed field needs \"" + std::string(key) + "\"");
        }
    }
}

nlohmann::json ActionParser::allowed_mentions(const toml::table& table) {
    const toml::table* mentions = reader_.table(table, "allowed_mentions");
    // Pinging @everyone from a template by accident is worse than not pinging: mentions are off
    // unless the task turns them on.
    if (mentions == nullptr) return Json{{"parse", Json::array()}};
    reader_.reject_unknown_keys(*mentions, kAllowedMentionsKeys, "allowed_mentions");
    if (auto parse = reader_.string_array(*mentions, "parse")) {
        for (const std::string& item : *parse) {
            if (item != "roles" && item != "users" && item != "everyone") {
                reader_.error(*mentions->get("parse"),
                              "allowed_mentions.parse holds \"roles\", \"users\" or "
                              "\"everyone\", not \"" +
                                  item + "\"");
            }
        }
    }
    return toml_to_json(*mentions);
}

bool ActionParser::parse_discord_body(const toml::table& table, WebhookAction& action) {
    reject_foreign_body_keys(table, kDiscordKeys,
                             "a Discord webhook (its body keys are content, username, "
                             "avatar_url, tts, embeds, allowed_mentions, thread_id, "
                             "flags, wait, attach_output)");
    Json body = Json::object();
    if (auto content = reader_.string(table, "content")) body["content"] = *content;
    if (auto username = reader_.string(table, "username")) body["username"] = *username;
    if (auto avatar = reader_.string(table, "avatar_url")) body["avatar_url"] = *avatar;
    if (auto tts = reader_.boolean(table, "tts")) body["tts"] = *tts;
    if (auto flags = reader_.integer(table, "flags")) body["flags"] = *flags;
    action.wait = reader_.boolean(table, "wait").value_or(false);
    action.attach_output = reader_.boolean(table, "attach_output").value_or(false);
    if (const toml::node* thread = table.get("thread_id")) {
        if (const auto* id = thread->as_integer()) {
            action.thread_id = std::to_string(id->get());
        } else {
            action.thread_id = reader_.string(table, "thread_id");
        }
    }
    if (const toml::node* embeds = table.get("embeds")) {
        if (!check_embeds(*embeds)) return false;
        body["embeds"] = toml_to_json(*embeds);
    }
    body["allowed_mentions"] = allowed_mentions(table);
    for (const BodyProblem& problem :
         check_body_limits(WebhookKind::discord, body, static_length)) {
        const toml::node* node = node_at(table, problem.path);
        if (node != nullptr) {
            reader_.error(*node, problem.message);
        } else {
            reader_.error(table, problem.message);
        }
    }
    action.json_body = std::move(body);
    return true;
}

bool ActionParser::parse_slack_body(const toml::table& table, WebhookAction& action) {
    reject_foreign_body_keys(table, kSlackKeys,
                             "a Slack webhook (its body keys are text and blocks)");
    Json body = Json::object();
    if (auto text = reader_.string(table, "text")) body["text"] = *text;
    if (const toml::node* blocks = table.get("blocks")) {
        if (!blocks->is_array()) {
            reader_.type_error(*blocks, "blocks", "an array of tables");
            return false;
        }
        body["blocks"] = toml_to_json(*blocks);
    }
    if (body.empty()) {
        reader_.error(table, "a Slack message needs \"text\" or \"blocks\"");
        return false;
    }
    for (const BodyProblem& problem : check_body_limits(WebhookKind::slack, body, static_length))
        reader_.error(*table.get("text"), problem.message);
    action.json_body = std::move(body);
    return true;
}

bool ActionParser::parse_generic_body(const toml::table& table, WebhookAction& action) {
    reject_foreign_body_keys(table, kGenericKeys,
                             "a generic webhook (its body keys are json and body)");
    if (auto method = reader_.choice<std::string_view>(table, "method", kMethods)) {
        action.method = std::string(*method);
    }
    if (table.contains("json") && table.contains("body")) {
        reader_.error(reader_.key_position(table, "body"),
                      "\"json\" and \"body\" are both set; a request has one body");
        return false;
    }
    if (const toml::node* json = table.get("json")) {
        if (!json->is_table() && !json->is_array()) {
            reader_.type_error(*json, "json", "a table or an array");
            return false;
        }
        action.json_body = toml_to_json(*json);
    }
    action.raw_body = reader_.string(table, "body");
    return true;
}

void ActionParser::check_templates(const toml::table& table, const WebhookAction& action,
                                   TemplateScope scope) {
    const auto check = [&](const toml::node* node, std::string_view text) {
        for (const TemplateProblem& problem : check_placeholders(text, scope)) {
            if (node != nullptr) {
                reader_.error(*node, problem.message);
            } else {
                reader_.error(table, problem.message);
            }
        }
    };
    // The JSON body came from the table itself (Discord, Slack) or from its "json" key.
    const toml::node* json_root = table.get("json");
    const toml::table* root =
        json_root != nullptr && json_root->is_table() ? json_root->as_table() : &table;
    const auto walk = [&](const auto& self, const Json& value, JsonPath& path) -> void {
        if (value.is_string()) {
            check(node_at(*root, path), value.get_ref<const std::string&>());
        } else if (value.is_object()) {
            for (const auto& [key, item] : value.items()) {
                path.emplace_back(key);
                self(self, item, path);
                path.pop_back();
            }
        } else if (value.is_array()) {
            for (std::size_t i = 0; i < value.size(); ++i) {
                path.emplace_back(i);
                self(self, value[i], path);
                path.pop_back();
            }
        }
    };
    if (action.json_body) {
        JsonPath path;
        walk(walk, *action.json_body, path);
    }
    if (action.raw_body) check(table.get("body"), *action.raw_body);
    if (const toml::table* headers = table.get_as<toml::table>("headers")) {
        for (const auto& [name, value] : action.headers) check(headers->get(name), value);
    }
}

}  // namespace tasksrun

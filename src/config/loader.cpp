#include "config/loader.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <tuple>

#include "config/action_parser.hpp"
#include "config/toml_reader.hpp"
#include "config/webhook_url.hpp"
#include "schedule/cron.hpp"
#include "util/duration.hpp"
#include "util/stable_hash.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kTopLevelKeys[] = {"tasksrun", "webhooks", "pings", "task"};
constexpr std::string_view kDaemonKeys[] = {"timezone", "state_dir",       "shutdown_timeout",
                                            "http",     "cluster_url_env", "cluster_url_file",
                                            "replica"};
constexpr std::string_view kWebhookKeys[] = {"url", "url_env", "url_file", "kind"};
constexpr std::string_view kPingKeys[] = {"url", "url_env", "url_file"};
constexpr std::string_view kTaskOwnKeys[] = {
    "name",       "seconds",  "minutes",      "hours",         "time",       "cron",
    "timezone",   "count",    "run_at_start", "reconnect",     "retry_on",   "max_retries",
    "on_error",   "overlap",  "misfire",      "misfire_grace", "jitter",     "timeout",
    "dst_gap",    "dst_fold", "enabled",      "before_loop",   "after_loop", "on_success",
    "on_recover", "ping",     "output_limit", "offset",        "on_crash"};
constexpr std::pair<std::string_view, HookKind> kHookNames[] = {
    {"before_loop", HookKind::before_loop},
    {"after_loop", HookKind::after_loop},
    {"on_error", HookKind::on_error},
    {"on_success", HookKind::on_success},
    {"on_recover", HookKind::on_recover}};
constexpr std::pair<std::string_view, bool> kOnErrorWhen[] = {{"always", false}, {"first", true}};
constexpr std::uint64_t kDefaultMaxRetries = 10;
// The tail alone is 4 KiB; past 64 MiB a single run's output would dwarf the daemon.
constexpr std::uint64_t kMinOutputLimit = 8 * 1024;
constexpr std::uint64_t kMaxOutputLimit = 64 * 1024 * 1024;

// The hooks that follow an iteration, and so have its output.
bool has_output(HookKind kind) {
    return kind == HookKind::on_error || kind == HookKind::on_success ||
           kind == HookKind::on_recover;
}

constexpr std::pair<std::string_view, WebhookKind> kWebhookKinds[] = {
    {"discord", WebhookKind::discord},
    {"slack", WebhookKind::slack},
    {"generic", WebhookKind::generic}};
constexpr std::pair<std::string_view, AfterError> kAfterError[] = {
    {"continue", AfterError::continue_loop}, {"stop", AfterError::stop_loop}};
constexpr std::pair<std::string_view, Misfire> kMisfire[] = {{"skip", Misfire::skip},
                                                             {"run-once", Misfire::run_once}};
constexpr std::pair<std::string_view, DstGap> kDstGap[] = {
    {"shift", DstGap::shift}, {"at-transition", DstGap::at_transition}, {"skip", DstGap::skip}};
constexpr std::pair<std::string_view, DstFold> kDstFold[] = {{"first", DstFold::first},
                                                             {"last", DstFold::last}};
constexpr std::pair<std::string_view, OnCrash> kOnCrash[] = {{"skip", OnCrash::skip},
                                                             {"rerun", OnCrash::rerun}};

// For a task that sets max_retries but not retry_on: whoever writes `max_retries = 3` expects
// three retries of whatever failed, except what a retry cannot fix (SPEC 10.1).
const RetryOn& every_retryable_class() {
    static const RetryOn patterns =
        std::make_shared<const std::vector<FailurePattern>>(std::vector<FailurePattern>{
            {FailureKind::network, std::nullopt},
            {FailureKind::timeout, std::nullopt},
            {FailureKind::http_429, std::nullopt},
            {FailureKind::http_5xx, std::nullopt},
            {FailureKind::exit_code, std::nullopt},
            {FailureKind::signal, std::nullopt},
        });
    return patterns;
}

const RetryOn& default_retry_on() {
    static const RetryOn patterns =
        std::make_shared<const std::vector<FailurePattern>>(std::vector<FailurePattern>{
            {FailureKind::network, std::nullopt},
            {FailureKind::timeout, std::nullopt},
            {FailureKind::http_429, std::nullopt},
            {FailureKind::http_5xx, std::nullopt},
            {FailureKind::exit_code, 75},
        });
    return patterns;
}

bool is_valid_name(std::string_view name) {
    return !name.empty() && std::ranges::all_of(name, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    });
}

std::vector<std::string_view> task_keys() {
    std::vector<std::string_view> keys(std::begin(kTaskOwnKeys), std::end(kTaskOwnKeys));
    const auto actions = action_keys();
    keys.insert(keys.end(), actions.begin(), actions.end());
    return keys;
}

// The keys that name a secret URL: a literal (empty: not allowed), a variable, a file.
struct UrlKeys {
    std::string_view literal = "url";
    std::string_view env = "url_env";
    std::string_view file = "url_file";
};

class ConfigBuilder {
  public:
    explicit ConfigBuilder(Diagnostics& diagnostics) : reader_(diagnostics) {}

    std::optional<Config> build(const toml::table& root, const std::string& file_name);
    std::optional<Schedule> schedule_only(const toml::table& keys, const Zone& default_zone,
                                          std::string_view hash_key);

  private:
    // One `time` entry: a time of day, and the zone it names, if any.
    struct TimeEntry {
        std::chrono::seconds since_midnight;
        std::optional<Zone> zone;
    };

    DaemonSettings parse_settings(const toml::table* table);
    // url, url_env or url_file of an endpoint table, `where` being "[webhooks.NAME]".
    std::optional<UrlSource> parse_url_source(const toml::table& endpoint, const std::string& where,
                                              const UrlKeys& keys = {});
    std::optional<ClusterSettings> parse_cluster(const toml::table& table);
    void check_cluster_schedule(const toml::table& task, const Schedule& schedule);
    SourcePosition interval_position(const toml::table& task) const;
    // A task's `offset` (SPEC 14: where its interval grid starts after the epoch in cluster mode).
    std::optional<Duration> parse_offset(const toml::table& task,
                                         const std::optional<Schedule>& schedule);
    void parse_webhooks(const toml::table& table, std::map<std::string, WebhookEndpoint>& out);
    void parse_pings(const toml::table& table, std::map<std::string, PingEndpoint>& out);
    // The endpoint tables of [webhooks] or [pings]: calls `add(name, key, table)` for each one
    // that is a table with a valid name.
    template <typename Add>
    void for_each_endpoint(const toml::table& section, std::string_view section_name, Add add);
    std::optional<std::string> parse_ping_name(const toml::table& task, const Config& config);
    void reject_back_to_back_webhook(const toml::table& task, const Schedule& schedule);
    std::optional<std::optional<std::uint64_t>> parse_max_retries(const toml::table& task);
    std::optional<TaskConfig> parse_task(const toml::table& table, const Config& config);
    std::optional<Schedule> parse_schedule(const toml::table& task, const Zone& default_zone,
                                           std::string_view hash_key);
    std::optional<std::string_view> schedule_kind(const toml::table& task);
    std::optional<Schedule> parse_interval(const toml::table& task);
    void warn_unused(const toml::table& task, std::initializer_list<std::string_view> keys,
                     std::string_view schedule);
    std::optional<Schedule> parse_cron(const toml::table& task, const std::optional<Zone>& zone,
                                       DstPolicy policy, std::string_view hash_key);
    std::optional<Schedule> parse_times(const toml::node& node, const std::optional<Zone>& zone,
                                        DstPolicy policy);
    std::optional<TimeEntry> parse_time_entry(const toml::node& entry);
    std::optional<Zone> parse_zone(const toml::table& table, const Zone& fallback);
    struct ErrorPolicy {
        AfterError after = AfterError::continue_loop;
        bool hook_first_only = false;
    };
    std::optional<Hooks> parse_hooks(const toml::table& task, ActionParser& actions,
                                     ErrorPolicy& policy);
    std::optional<RetryOn> parse_retry_on(const toml::table& task);
    std::optional<unsigned> parse_overlap(const toml::table& task);

    TomlReader reader_;
};

std::optional<Zone> ConfigBuilder::parse_zone(const toml::table& table, const Zone& fallback) {
    auto name = reader_.string(table, "timezone");
    if (!name) return table.contains("timezone") ? std::nullopt : std::optional<Zone>(fallback);
    auto zone = Zone::locate(*name);
    if (!zone) {
        reader_.error(*table.get("timezone"), zone.error());
        return std::nullopt;
    }
    return *zone;
}

DaemonSettings ConfigBuilder::parse_settings(const toml::table* table) {
    DaemonSettings settings{
        .zone = Zone::utc(), .state_dir = std::nullopt, .shutdown_timeout = 30s};
    if (table == nullptr) return settings;
    reader_.reject_unknown_keys(*table, kDaemonKeys, "[tasksrun]");
    settings.zone = parse_zone(*table, Zone::utc()).value_or(Zone::utc());
    settings.state_dir = reader_.string(*table, "state_dir");
    if (settings.state_dir && settings.state_dir->empty()) {
        reader_.error(*table->get("state_dir"), "\"state_dir\" must not be empty");
    }
    settings.shutdown_timeout = reader_.duration(*table, "shutdown_timeout").value_or(30s);
    if (const auto http = reader_.string(*table, "http")) {
        auto address = parse_listen_address(*http);
        if (address) {
            if (!address->loopback()) {
                reader_.diagnostics().warning(
                    position_of(*table->get("http")),
                    "\"http\" listens beyond this machine (" + address->describe() +
                        "): whoever reaches it reads task names, schedules and outcomes; "
                        "127.0.0.1 or a Unix socket behind a proxy keeps it local");
            }
            settings.http = std::move(*address);
        } else {
            reader_.error(*table->get("http"), "\"http\": " + address.error());
        }
    }
    settings.cluster = parse_cluster(*table);
    return settings;
}

std::optional<ClusterSettings> ConfigBuilder::parse_cluster(const toml::table& table) {
    const bool wanted = table.contains("cluster_url_env") || table.contains("cluster_url_file");
    auto replica = reader_.string(table, "replica");
    if (!wanted) {
        if (table.contains("replica")) {
            reader_.error(reader_.key_position(table, "replica"),
                          "\"replica\" names this daemon in a cluster: set cluster_url_env or "
                          "cluster_url_file too");
        }
        return std::nullopt;
    }
    if (replica && !is_valid_name(*replica)) {
        reader_.error(*table.get("replica"), "replica name \"" + *replica +
                                                 "\" may only use letters, digits, '_', '.' and "
                                                 "'-'");
    }
    auto url = parse_url_source(
        table, "[tasksrun]", {.literal = "", .env = "cluster_url_env", .file = "cluster_url_file"});
    if (!url) return std::nullopt;
    return ClusterSettings{.url = std::move(*url), .replica = std::move(replica)};
}

// In cluster mode every replica computes an interval's slots from the epoch: a grid that starts
// when a daemon does, or runs back to back, cannot be shared.
void ConfigBuilder::check_cluster_schedule(const toml::table& task, const Schedule& schedule) {
    const IntervalSchedule* interval = schedule.interval();
    if (interval == nullptr) return;
    if (interval->period() == Duration::zero()) {
        reader_.error(interval_position(task),
                      "an interval of 0 has no slots for cluster replicas to share; give it an "
                      "interval (seconds = 1 or more)");
    }
    if (task.contains("run_at_start")) {
        reader_.diagnostics().warning(reader_.key_position(task, "run_at_start"),
                                      "\"run_at_start\" has no effect in cluster mode: every "
                                      "replica's grid starts at the epoch (plus \"offset\")");
    }
}

std::optional<Duration> ConfigBuilder::parse_offset(const toml::table& task,
                                                    const std::optional<Schedule>& schedule) {
    const auto offset = reader_.duration(task, "offset");
    if (!offset || !schedule) return offset;
    const toml::node& node = *task.get("offset");
    const IntervalSchedule* interval = schedule->interval();
    if (interval == nullptr) {
        reader_.error(node,
                      "\"offset\" moves an interval grid (seconds, minutes, hours); a "
                      "time or cron schedule has fixed instants");
        return std::nullopt;
    }
    if (*offset >= interval->period()) {
        reader_.error(node, "\"offset\" must be shorter than the interval (" +
                                format_duration(interval->period()) + ")");
        return std::nullopt;
    }
    return offset;
}

template <typename Add>
void ConfigBuilder::for_each_endpoint(const toml::table& section, std::string_view section_name,
                                      Add add) {
    for (const auto& [key, value] : section) {
        const std::string name(key.str());
        const std::string where = "[" + std::string(section_name) + "." + name + "]";
        const toml::table* endpoint = value.as_table();
        if (endpoint == nullptr) {
            reader_.error(value, where + " must be a table with url, url_env or url_file");
            continue;
        }
        if (!is_valid_name(name)) {
            reader_.error(position_of(key),
                          std::string(section_name) + " name \"" + name +
                              "\" may only use letters, digits, '_', '.' and '-'");
        }
        add(name, key, *endpoint, where);
    }
}

std::optional<UrlSource> ConfigBuilder::parse_url_source(const toml::table& endpoint,
                                                         const std::string& where,
                                                         const UrlKeys& keys) {
    std::vector<std::string_view> sources;
    for (const std::string_view source : {keys.literal, keys.env, keys.file}) {
        if (!source.empty() && endpoint.contains(source)) sources.push_back(source);
    }
    const std::string one_of = keys.literal.empty()
                                   ? std::string(keys.env) + " or " + std::string(keys.file)
                                   : "url, url_env or url_file";
    if (sources.size() != 1) {
        reader_.error(
            sources.empty() ? position_of(endpoint) : reader_.key_position(endpoint, sources[1]),
            sources.empty() ? where +
                                  " has no URL: set url_env (a variable holding the URL), "
                                  "url_file (a file holding it) or url"
                            : where + " needs exactly one of " + one_of);
        return std::nullopt;
    }
    auto value = reader_.string(endpoint, sources[0]);
    if (!value) return std::nullopt;
    const toml::node& node = *endpoint.get(sources[0]);
    const std::string key(sources[0]);
    if (sources[0] == keys.literal) {
        // Never echo the URL: it carries the endpoint's token.
        if (!value->starts_with("https://") && !value->starts_with("http://")) {
            reader_.error(node, "\"url\" of " + where + " must start with https:// (or http://)");
            return std::nullopt;
        }
        // Kept all the same: whatever uses it gets no second error.
        if (const auto problem = url_character_problem(*value))
            reader_.error(node, "\"url\" of " + where + " " + *problem);
        return UrlSource{UrlSource::From::literal, *value};
    }
    if (sources[0] == keys.env) {
        static const std::regex kEnvName("[A-Za-z_][A-Za-z0-9_]*");
        if (!std::regex_match(*value, kEnvName)) {
            reader_.error(
                node, "\"" + key + "\" must name an environment variable, not \"" + *value + "\"");
            return std::nullopt;
        }
        return UrlSource{UrlSource::From::env, *value};
    }
    if (!value->starts_with("/")) {
        reader_.error(node, "\"" + key + "\" must be an absolute path");
        return std::nullopt;
    }
    return UrlSource{UrlSource::From::file, *value};
}

void ConfigBuilder::parse_webhooks(const toml::table& table,
                                   std::map<std::string, WebhookEndpoint>& out) {
    for_each_endpoint(table, "webhooks",
                      [&](const std::string& name, const toml::key& key,
                          const toml::table& endpoint, const std::string& where) {
                          reader_.reject_unknown_keys(endpoint, kWebhookKeys, where);
                          // Registered even when invalid, so that the tasks using it are not
                          // also told that no such webhook exists.
                          WebhookEndpoint webhook{
                              .name = name,
                              .url = parse_url_source(endpoint, where).value_or(UrlSource{}),
                              .kind = reader_.choice<WebhookKind>(endpoint, "kind", kWebhookKinds),
                              .position = position_of(key)};
                          out.emplace(name, std::move(webhook));
                      });
}

void ConfigBuilder::parse_pings(const toml::table& table,
                                std::map<std::string, PingEndpoint>& out) {
    for_each_endpoint(
        table, "pings",
        [&](const std::string& name, const toml::key& key, const toml::table& endpoint,
            const std::string& where) {
            reader_.reject_unknown_keys(endpoint, kPingKeys, where);
            out.emplace(name,
                        PingEndpoint{.name = name,
                                     .url = parse_url_source(endpoint, where).value_or(UrlSource{}),
                                     .position = position_of(key)});
        });
}

std::optional<std::string> ConfigBuilder::parse_ping_name(const toml::table& task,
                                                          const Config& config) {
    auto name = reader_.string(task, "ping");
    if (!name || config.pings.contains(*name)) return name;
    std::vector<std::string> names;
    for (const auto& [known, _] : config.pings) names.push_back(known);
    reader_.error(*task.get("ping"), "no ping named \"" + *name + "\" in [pings]" +
                                         did_you_mean(closest_match(*name, names)));
    return std::nullopt;
}

// Where an interval task's interval is written: its seconds, minutes or hours key.
SourcePosition ConfigBuilder::interval_position(const toml::table& task) const {
    for (const std::string_view key : {"seconds", "minutes", "hours"}) {
        if (task.contains(key)) return reader_.key_position(task, key);
    }
    return reader_.key_position(task, "seconds");
}

// An interval of 0 runs iterations back to back: fine for a command that waits on something,
// a flood for a webhook (thousands of requests a second to a loopback server).
void ConfigBuilder::reject_back_to_back_webhook(const toml::table& task, const Schedule& schedule) {
    const IntervalSchedule* interval = schedule.interval();
    if (interval == nullptr || interval->period() != Duration::zero()) return;
    reader_.error(interval_position(task),
                  "an interval of 0 on a webhook task would post again as soon as each post "
                  "ends, flooding the endpoint; give it an interval (seconds = 1 or more)");
}

std::optional<std::optional<std::uint64_t>> ConfigBuilder::parse_max_retries(
    const toml::table& task) {
    const toml::node* node = task.get("max_retries");
    if (node == nullptr) return std::optional<std::uint64_t>(kDefaultMaxRetries);
    if (const auto* text = node->as_string(); text && text->get() == "unlimited") {
        return std::optional<std::uint64_t>();
    }
    if (const auto* number = node->as_integer(); number && number->get() >= 0) {
        return std::optional<std::uint64_t>(static_cast<std::uint64_t>(number->get()));
    }
    reader_.error(*node,
                  "\"max_retries\" must be a number of retries (0 or more) or \"unlimited\"");
    return std::nullopt;
}

// "HH:MM", "HH:MM:SS", either followed by a zone ("09:00 Europe/Berlin"), or a TOML local time.
std::optional<ConfigBuilder::TimeEntry> ConfigBuilder::parse_time_entry(const toml::node& entry) {
    int hour = -1;
    int minute = -1;
    int second = 0;
    std::optional<Zone> zone;
    if (const auto* text = entry.as_string()) {
        static const std::regex kTimeOfDay(R"((\d\d):(\d\d)(?::(\d\d))?(?: +(\S+))?)");
        std::smatch parts;
        if (std::regex_match(text->get(), parts, kTimeOfDay)) {
            hour = std::stoi(parts[1]);
            minute = std::stoi(parts[2]);
            second = parts[3].matched ? std::stoi(parts[3]) : 0;
            if (parts[4].matched) {
                auto located = Zone::locate(parts[4].str());
                if (!located) {
                    SourcePosition at = position_of(entry);
                    at.column += 1 + static_cast<std::uint32_t>(parts.position(4));  // the quote
                    reader_.error(at, located.error());
                    return std::nullopt;
                }
                zone = *located;
            }
        }
    } else if (const auto* time = entry.as_time()) {
        const toml::time& t = time->get();
        if (t.nanosecond != 0) {
            reader_.error(entry, "times of day are whole seconds");
            return std::nullopt;
        }
        hour = t.hour;
        minute = t.minute;
        second = t.second;
    } else {
        reader_.error(entry,
                      "\"time\" entries must be \"HH:MM\" or \"HH:MM:SS\" strings, each "
                      "optionally followed by a zone, or TOML local times, not " +
                          std::string(type_name(entry)));
        return std::nullopt;
    }
    if (const auto* text = entry.as_string(); text && hour < 0) {
        // "9:00": the everyday way to write it, one digit short of the format.
        static const std::regex kOneDigitHour(R"((\d):(\d\d)((?::\d\d)?(?: +\S+)?))");
        std::smatch parts;
        if (std::regex_match(text->get(), parts, kOneDigitHour)) {
            reader_.error(entry, "\"time\" entry \"" + text->get() +
                                     "\" needs two digits for the hour: write \"0" + text->get() +
                                     "\"");
            return std::nullopt;
        }
    }
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
        reader_.error(entry,
                      "\"time\" entries must be valid times of day \"HH:MM\" or \"HH:MM:SS\" "
                      "(00:00 to 23:59:59), optionally followed by a zone (\"09:00 "
                      "Europe/Berlin\")");
        return std::nullopt;
    }
    return TimeEntry{
        std::chrono::hours{hour} + std::chrono::minutes{minute} + std::chrono::seconds{second},
        std::move(zone)};
}

// Entries without a zone, or naming the task's, run in the task's zone; the others are grouped
// by the zone they name, in the order the zones first appear.
std::optional<Schedule> ConfigBuilder::parse_times(const toml::node& node,
                                                   const std::optional<Zone>& zone,
                                                   DstPolicy policy) {
    std::vector<const toml::node*> nodes;
    if (const auto* array = node.as_array()) {
        for (const toml::node& entry : *array) nodes.push_back(&entry);
        if (nodes.empty()) {
            reader_.error(node, "\"time\" needs at least one time of day");
            return std::nullopt;
        }
    } else {
        nodes.push_back(&node);
    }
    std::vector<TimeEntry> entries;
    for (const toml::node* entry : nodes) {
        if (auto parsed = parse_time_entry(*entry)) entries.push_back(std::move(*parsed));
    }
    if (entries.size() != nodes.size() || !zone) return std::nullopt;

    std::vector<std::chrono::seconds> own;
    std::vector<std::pair<Zone, std::vector<std::chrono::seconds>>> groups;
    for (const TimeEntry& entry : entries) {
        if (!entry.zone || entry.zone->name() == zone->name()) {
            own.push_back(entry.since_midnight);
            continue;
        }
        auto group =
            std::ranges::find(groups, entry.zone->name(),
                              [](const auto& g) -> const std::string& { return g.first.name(); });
        if (group == groups.end()) group = groups.insert(groups.end(), {*entry.zone, {}});
        group->second.push_back(entry.since_midnight);
    }
    std::vector<ZonedTimes> elsewhere;
    for (auto& [group_zone, times] : groups)
        elsewhere.push_back({TimesOfDay(std::move(times)), group_zone});
    return Schedule(
        WallClockSchedule(TimesOfDay(std::move(own)), *zone, policy, std::move(elsewhere)));
}

// The kind of schedule a task sets ("seconds/minutes/hours", "time" or "cron"), or nullopt with
// an error when it sets none or several.
std::optional<std::string_view> ConfigBuilder::schedule_kind(const toml::table& task) {
    // The first key of each schedule kind, in file order (toml++ iterates keys alphabetically).
    struct Given {
        SourcePosition at;
        std::string_view kind;
    };
    std::vector<Given> kinds;
    for (const auto& [key, value] : task) {
        const std::string_view k = key.str();
        const bool interval = k == "seconds" || k == "minutes" || k == "hours";
        if (!interval && k != "time" && k != "cron") continue;
        const std::string_view kind = interval ? "seconds/minutes/hours" : k;
        const SourcePosition at = position_of(key);
        const auto same = std::ranges::find(kinds, kind, &Given::kind);
        if (same == kinds.end()) {
            kinds.push_back({at, kind});
        } else if (std::tie(at.line, at.column) < std::tie(same->at.line, same->at.column)) {
            same->at = at;
        }
    }
    std::ranges::sort(kinds, [](const Given& a, const Given& b) {
        return std::tie(a.at.line, a.at.column) < std::tie(b.at.line, b.at.column);
    });
    if (kinds.empty()) {
        reader_.error(task,
                      "task has no schedule: set \"seconds\", \"minutes\" or \"hours\", "
                      "or \"time\", or \"cron\"");
        return std::nullopt;
    }
    if (kinds.size() > 1) {
        reader_.error(kinds[1].at, "a task has exactly one schedule, but " +
                                       std::string(kinds[0].kind) + " and " +
                                       std::string(kinds[1].kind) + " are both set");
        return std::nullopt;
    }
    return kinds[0].kind;
}

void ConfigBuilder::warn_unused(const toml::table& task,
                                std::initializer_list<std::string_view> keys,
                                std::string_view schedule) {
    for (const std::string_view key : keys) {
        if (task.contains(key)) {
            reader_.diagnostics().warning(
                reader_.key_position(task, key),
                "\"" + std::string(key) + "\" has no effect on " + std::string(schedule));
        }
    }
}

std::optional<Schedule> ConfigBuilder::parse_interval(const toml::table& task) {
    double total_seconds = 0;
    bool ok = true;
    for (const auto& [key, scale] :
         {std::pair{"seconds", 1.0}, {"minutes", 60.0}, {"hours", 3600.0}}) {
        auto value = reader_.number(task, key);
        if (!value) {
            ok = ok && !task.contains(key);
            continue;
        }
        if (*value < 0 || !std::isfinite(*value)) {
            reader_.error(*task.get(key), "\"" + std::string(key) + "\" must not be negative");
            ok = false;
        }
        total_seconds += *value * scale;
    }
    if (!ok) return std::nullopt;
    auto period = duration_from_seconds(total_seconds);
    if (!period) {
        reader_.error(task, "interval " + period.error());
        return std::nullopt;
    }
    warn_unused(task, {"timezone", "dst_gap", "dst_fold"}, "an interval schedule");
    return Schedule(IntervalSchedule(*period));
}

std::optional<Schedule> ConfigBuilder::parse_cron(const toml::table& task,
                                                  const std::optional<Zone>& zone, DstPolicy policy,
                                                  std::string_view hash_key) {
    auto text = reader_.string(task, "cron");
    if (!text) return std::nullopt;
    if (std::string_view trimmed = *text; trimmed.find_first_not_of(" \t") != std::string::npos) {
        trimmed.remove_prefix(trimmed.find_first_not_of(" \t"));
        trimmed.remove_suffix(trimmed.size() - 1 - trimmed.find_last_not_of(" \t"));
        if (trimmed == "@reboot") {
            warn_unused(task, {"timezone", "dst_gap", "dst_fold"}, "@reboot");
            return Schedule(StartupSchedule{});
        }
    }
    auto cron = CronExpression::parse(*text, hash_key);
    if (!cron) {
        SourcePosition at = position_of(*task.get("cron"));
        at.column += 1 + static_cast<std::uint32_t>(cron.error().offset);  // past the opening quote
        reader_.error(at, "cron \"" + *text + "\": " + cron.error().message);
        return std::nullopt;
    }
    if (!zone) return std::nullopt;
    return Schedule(WallClockSchedule(std::move(*cron), *zone, policy));
}

// `hash_key` (the task's name) is what H in a cron expression hashes.
std::optional<Schedule> ConfigBuilder::parse_schedule(const toml::table& task,
                                                      const Zone& default_zone,
                                                      std::string_view hash_key) {
    const auto kind = schedule_kind(task);
    if (!kind) return std::nullopt;
    if (*kind == "seconds/minutes/hours") return parse_interval(task);

    const auto zone = parse_zone(task, default_zone);
    DstPolicy policy;
    policy.gap = reader_.choice<DstGap>(task, "dst_gap", kDstGap).value_or(DstGap::shift);
    policy.fold = reader_.choice<DstFold>(task, "dst_fold", kDstFold).value_or(DstFold::first);
    if (task.contains("run_at_start")) {
        reader_.diagnostics().warning(reader_.key_position(task, "run_at_start"),
                                      "\"run_at_start\" applies to interval schedules only; "
                                      "time and cron tasks wait for their next slot");
    }
    if (*kind == "time") return parse_times(*task.get("time"), zone, policy);
    return parse_cron(task, zone, policy, hash_key);
}

std::optional<RetryOn> ConfigBuilder::parse_retry_on(const toml::table& task) {
    if (!task.contains("retry_on")) {
        return task.contains("max_retries") ? every_retryable_class() : default_retry_on();
    }
    auto names = reader_.string_array(task, "retry_on");
    if (!names) return std::nullopt;
    std::vector<FailurePattern> patterns;
    const toml::array& nodes = *task.get("retry_on")->as_array();
    bool ok = true;
    for (std::size_t i = 0; i < names->size(); ++i) {
        auto pattern = parse_failure_pattern((*names)[i]);
        if (pattern) {
            patterns.push_back(*pattern);
        } else {
            reader_.error(*nodes.get(i), "\"retry_on\": " + pattern.error());
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return std::make_shared<const std::vector<FailurePattern>>(std::move(patterns));
}

std::optional<unsigned> ConfigBuilder::parse_overlap(const toml::table& task) {
    const toml::node* node = task.get("overlap");
    if (node == nullptr) return 1U;
    if (const auto* flag = node->as_boolean()) return flag->get() ? kUnlimitedOverlap : 1U;
    if (const auto* number = node->as_integer()) {
        if (number->get() > 1 && number->get() <= 1'000'000)
            return static_cast<unsigned>(number->get());
    }
    reader_.error(*node,
                  "\"overlap\" must be true, false, or a number of concurrent iterations "
                  "greater than 1");
    return std::nullopt;
}

std::optional<Hooks> ConfigBuilder::parse_hooks(const toml::table& task, ActionParser& actions,
                                                ErrorPolicy& policy) {
    Hooks hooks;
    bool ok = true;
    for (const auto& [name, kind] : kHookNames) {
        const toml::node* node = task.get(name);
        if (node == nullptr) continue;
        const bool on_error = kind == HookKind::on_error;
        if (on_error && node->is_string()) {
            const auto after = reader_.choice<AfterError>(task, "on_error", kAfterError);
            policy.after = after.value_or(policy.after);
            ok = ok && after.has_value();
            continue;
        }
        const toml::table* table = node->as_table();
        if (table == nullptr) {
            reader_.type_error(*node, name,
                               on_error ? "\"continue\", \"stop\" or a hook table"
                                        : "a hook table ([task." + std::string(name) + "])");
            ok = false;
            continue;
        }
        const std::string where = "[task." + std::string(name) + "]";
        std::vector<std::string_view> allowed(action_keys().begin(), action_keys().end());
        allowed.push_back("timeout");
        if (on_error) {
            allowed.push_back("then");
            allowed.push_back("when");
            // The hook table takes the place of the on_error string, so it carries the policy.
            policy.after =
                reader_.choice<AfterError>(*table, "then", kAfterError).value_or(policy.after);
            policy.hook_first_only =
                reader_.choice<bool>(*table, "when", kOnErrorWhen).value_or(false);
        }
        reader_.reject_unknown_keys(*table, allowed, where);
        const TemplateScope scope =
            kind == HookKind::on_recover ? TemplateScope::recover_hook : TemplateScope::hook;
        auto action = actions.parse(*table, scope, where);
        if (!action) {
            ok = false;
            continue;
        }
        Hook hook{std::move(*action), reader_.duration(*table, "timeout")};
        if (!hook.timeout && std::holds_alternative<WebhookAction>(hook.action)) hook.timeout = 30s;
        if (const auto* webhook = std::get_if<WebhookAction>(&hook.action);
            webhook != nullptr && webhook->attach_output && !has_output(kind)) {
            reader_.error(reader_.key_position(*table, "attach_output"),
                          "attach_output needs a command's output: only on_error, on_success and "
                          "on_recover hooks have one");
            ok = false;
        }
        hooks.set(kind, std::move(hook));
    }
    if (!ok) return std::nullopt;
    return hooks;
}

std::optional<Schedule> ConfigBuilder::schedule_only(const toml::table& keys,
                                                     const Zone& default_zone,
                                                     std::string_view hash_key) {
    static constexpr std::string_view kScheduleKeys[] = {
        "seconds", "minutes", "hours", "time", "cron", "timezone", "dst_gap", "dst_fold"};
    reader_.reject_unknown_keys(keys, kScheduleKeys, "a schedule");
    auto schedule = parse_schedule(keys, default_zone, hash_key);
    if (schedule && schedule->at_startup()) {
        reader_.error(*keys.get("cron"),
                      "@reboot fires when a loop starts, so it cannot replace a running loop's "
                      "schedule");
    }
    if (reader_.diagnostics().has_errors()) return std::nullopt;
    return schedule;
}

std::uint64_t fingerprint_of(const toml::table& table, const Schedule& schedule) {
    // toml++ keeps keys sorted, so the formatted table is the same however the file orders them.
    std::ostringstream text;
    text << toml::toml_formatter(table, toml::format_flags::none);
    // The default zone is not in the table but decides when a time or cron task runs.
    if (const auto* clock = schedule.wall_clock()) text << '\n' << clock->zone().name();
    // Stable: cluster replicas compare it to tell whether they run a task with the same config.
    return fnv1a(text.str());
}

std::optional<TaskConfig> ConfigBuilder::parse_task(const toml::table& table,
                                                    const Config& config) {
    const std::size_t errors_before = reader_.diagnostics().error_count();
    reader_.reject_unknown_keys(table, task_keys(), "[[task]]");

    auto name = reader_.string(table, "name");
    if (!table.contains("name")) {
        reader_.error(table, "task has no \"name\"");
    } else if (name && !is_valid_name(*name)) {
        reader_.error(*table.get("name"),
                      "task name \"" + *name + "\" may only use letters, digits, '_', '.' and '-'");
    }
    auto schedule = parse_schedule(table, config.settings.zone, name.value_or(""));
    ActionParser actions(reader_, config.webhooks);
    auto action = actions.parse(table, TemplateScope::task, "a task");

    auto count = reader_.integer(table, "count");
    if (count && *count <= 0)
        reader_.error(*table.get("count"), "\"count\" must be greater than 0");
    const auto max_retries = parse_max_retries(table);
    ErrorPolicy on_error;
    auto hooks = parse_hooks(table, actions, on_error);
    auto retry_on = parse_retry_on(table);
    auto ping = parse_ping_name(table, config);
    auto overlap = parse_overlap(table);
    const auto run_at_start = reader_.boolean(table, "run_at_start");
    const auto reconnect = reader_.boolean(table, "reconnect");
    const auto misfire = reader_.choice<Misfire>(table, "misfire", kMisfire);
    const auto misfire_grace = reader_.duration(table, "misfire_grace");
    const auto jitter = reader_.duration(table, "jitter");
    auto timeout = reader_.duration(table, "timeout");
    const auto enabled = reader_.boolean(table, "enabled");
    const auto offset = parse_offset(table, schedule);
    const auto on_crash = reader_.choice<OnCrash>(table, "on_crash", kOnCrash);
    if (config.settings.cluster && schedule) check_cluster_schedule(table, *schedule);
    const auto output_limit =
        reader_.byte_size(table, "output_limit", kMinOutputLimit, kMaxOutputLimit);
    if (action && std::holds_alternative<WebhookAction>(*action) &&
        std::get<WebhookAction>(*action).attach_output) {
        reader_.error(reader_.key_position(table, "attach_output"),
                      "attach_output needs a command's output: put it in an on_error, on_success "
                      "or on_recover hook of a command task");
    }
    if (schedule && action && std::holds_alternative<WebhookAction>(*action)) {
        reject_back_to_back_webhook(table, *schedule);
    }
    if (timeout && *timeout == Duration::zero()) {
        reader_.error(*table.get("timeout"),
                      "\"timeout\" must be longer than 0s (leave it out "
                      "for no timeout)");
    }

    if (reader_.diagnostics().error_count() != errors_before || !schedule || !action || !hooks ||
        !retry_on || !overlap || !max_retries) {
        return std::nullopt;
    }
    if (!timeout && std::holds_alternative<WebhookAction>(*action)) timeout = 30s;
    TaskConfig task{
        .name = *name,
        .position = position_of(table),
        .schedule = std::move(*schedule),
        .run_at_start = run_at_start.value_or(true),
        .action = std::move(*action),
        .timeout = timeout,
        .output_limit = static_cast<std::size_t>(output_limit.value_or(kDefaultOutputLimit)),
        .count = count ? std::optional<std::uint64_t>(*count) : std::nullopt,
        .reconnect = reconnect.value_or(true),
        .retry_on = std::move(*retry_on),
        .max_retries = *max_retries,
        .on_error = on_error.after,
        .on_error_first = on_error.hook_first_only,
        .max_concurrent = *overlap,
        .misfire = misfire.value_or(Misfire::skip),
        .misfire_grace = misfire_grace.value_or(1h),
        .jitter = jitter.value_or(0s),
        .enabled = enabled.value_or(true),
        .hooks = std::move(*hooks),
        .ping = std::move(ping),
        .offset = offset.value_or(0s),
        .on_crash = on_crash.value_or(OnCrash::skip)};
    task.fingerprint = fingerprint_of(table, task.schedule);
    return task;
}

std::optional<Config> ConfigBuilder::build(const toml::table& root, const std::string& file_name) {
    reader_.reject_unknown_keys(root, kTopLevelKeys, "the top level");
    Config config{.path = file_name,
                  .settings = parse_settings(reader_.table(root, "tasksrun")),
                  .webhooks = {},
                  .pings = {},
                  .tasks = {}};
    if (const toml::table* webhooks = reader_.table(root, "webhooks")) {
        parse_webhooks(*webhooks, config.webhooks);
    }
    if (const toml::table* pings = reader_.table(root, "pings")) parse_pings(*pings, config.pings);
    const toml::node* tasks = root.get("task");
    if (tasks == nullptr) {
        reader_.error(SourcePosition{1, 1}, "no tasks: add a [[task]] table");
    } else if (!tasks->is_array_of_tables()) {
        reader_.error(*tasks, "\"task\" must be an array of tables: write [[task]]");
    } else {
        std::map<std::string, SourcePosition> seen;
        for (const toml::node& node : *tasks->as_array()) {
            const toml::table& table = *node.as_table();
            auto task = parse_task(table, config);
            // A duplicate is reported even when the task has other errors.
            if (const auto* name = table.get_as<std::string>("name")) {
                const auto [it, inserted] = seen.emplace(name->get(), position_of(*name));
                if (!inserted) {
                    reader_.error(*name, "duplicate task name \"" + name->get() +
                                             "\" (first used at line " +
                                             std::to_string(it->second.line) + ")");
                    continue;
                }
            }
            if (task) config.tasks.push_back(std::move(*task));
        }
    }
    if (reader_.diagnostics().has_errors()) return std::nullopt;
    return config;
}

}  // namespace

LoadResult parse_config(std::string_view text, const std::string& file_name) {
    LoadResult result{std::nullopt, Diagnostics(file_name)};
    toml::table root;
    try {
        root = toml::parse(text, file_name);
    } catch (const toml::parse_error& error) {
        result.diagnostics.error({error.source().begin.line, error.source().begin.column},
                                 std::string(error.description()));
        return result;
    }
    ConfigBuilder builder(result.diagnostics);
    result.config = builder.build(root, file_name);
    return result;
}

LoadResult load_config_file(const std::string& path) {
    if (std::error_code error; std::filesystem::is_directory(path, error)) {
        LoadResult result{std::nullopt, Diagnostics(path)};
        result.diagnostics.error({}, "is a directory, not a config file; give the file itself (" +
                                         (std::filesystem::path(path) / "tasks.toml").string() +
                                         ", say)");
        return result;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        LoadResult result{std::nullopt, Diagnostics(path)};
        result.diagnostics.error(
            {}, std::string("cannot read the config file: ") + std::strerror(errno));
        return result;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return parse_config(content.str(), path);
}

std::expected<Schedule, std::string> parse_schedule_keys(const toml::table& keys,
                                                         const Zone& default_zone,
                                                         std::string_view hash_key) {
    Diagnostics diagnostics("schedule");
    ConfigBuilder builder(diagnostics);
    auto schedule = builder.schedule_only(keys, default_zone, hash_key);
    if (schedule) return std::move(*schedule);
    std::string problems;
    for (const Diagnostic& problem : diagnostics.all()) {
        if (problem.severity != Diagnostic::Severity::error) continue;
        if (!problems.empty()) problems += '\n';
        problems += problem.message;
    }
    return std::unexpected(std::move(problems));
}

}  // namespace tasksrun

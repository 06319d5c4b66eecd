#pragma once
// The validated, immutable description of what to run. Produced only by config/loader; every
// other layer reads it through `const Config&`.
#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "config/json_path.hpp"
#include "config/listen_address.hpp"
#include "loop/events.hpp"
#include "loop/failure_class.hpp"
#include "schedule/schedule.hpp"

namespace tasksrun {

struct SourcePosition {
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

enum class WebhookKind { discord, slack, generic };

// A string field of a webhook body that has a length limit, in characters (Unicode code points).
struct LimitedText {
    JsonPath path;
    nlohmann::json::json_pointer pointer;  // the same place, to reach it with at()
    std::size_t max;
    std::string_view what;    // "content", "embed title", ...
    bool embed_text = false;  // counts toward Discord's total of embed text
};

// Where a webhook URL comes from. The URL is a secret: only `literal` holds it in the config,
// and nothing prints `value` for a literal.
struct UrlSource {
    enum class From { literal, env, file };
    From from;
    std::string value;  // the URL, the variable name, or the file path
};

struct WebhookEndpoint {
    std::string name;
    UrlSource url;
    std::optional<WebhookKind> kind;  // nullopt: decided from the URL once it is known
    SourcePosition position;
};

// A health-check endpoint in the healthchecks.io protocol ([pings.NAME]); its URL is a secret
// like a webhook's.
struct PingEndpoint {
    std::string name;
    UrlSource url;
    SourcePosition position;
};

struct CommandAction {
    std::optional<std::string> shell;  // `run`: through /bin/sh -c
    std::vector<std::string> argv;     // `command`: executed directly, no shell
    std::optional<std::string> cwd;
    std::map<std::string, std::string> env;
    std::vector<int> success_codes{0};
    int kill_signal;
    Duration kill_timeout;
};

struct WebhookAction {
    std::string webhook;  // a key of Config::webhooks
    WebhookKind kind;     // the body family the keys were validated against
    std::string method = "POST";
    std::map<std::string, std::string> headers;
    // The JSON document to send with {{placeholders}} still in its strings, or a raw body
    // (generic `body`), or neither (a generic request without a body).
    std::optional<nlohmann::json> json_body;
    std::optional<std::string> raw_body;
    // The fields of json_body with a length limit (Discord, Slack), found once at load time.
    std::vector<LimitedText> limits;
    // Discord query parameters.
    bool wait = false;
    std::optional<std::string> thread_id;
    // Discord: upload the command's whole captured output as output.txt with the message.
    bool attach_output = false;
};

using Action = std::variant<CommandAction, WebhookAction>;

struct Hook {
    Action action;
    std::optional<Duration> timeout;
};

inline constexpr std::size_t kHookKinds = 5;

// A task's hooks, by HookKind. One pointer, null for the many tasks that have none (16 bytes
// where five pointers took 80, in each of thousands of tasks); shared because the config is
// immutable.
class Hooks {
  public:
    using ByKind = std::array<std::unique_ptr<const Hook>, kHookKinds>;

    // Null when the task has no such hook.
    const Hook* get(HookKind kind) const {
        return by_kind_ ? (*by_kind_)[static_cast<std::size_t>(kind)].get() : nullptr;
    }
    void set(HookKind kind, Hook hook) {
        if (!by_kind_) by_kind_ = std::make_shared<ByKind>();
        (*by_kind_)[static_cast<std::size_t>(kind)] = std::make_unique<const Hook>(std::move(hook));
    }
    // Calls `visit(const Hook&)` for each hook the task has.
    template <typename Visit>
    void for_each(Visit visit) const {
        if (!by_kind_) return;
        for (const auto& hook : *by_kind_) {
            if (hook) visit(*hook);
        }
    }

  private:
    std::shared_ptr<ByKind> by_kind_;
};

enum class AfterError { continue_loop, stop_loop };

// What a replica does with a slot whose holder died mid-iteration (SPEC 14).
enum class OnCrash {
    skip,   // record it `abandoned` (a run that may have had effects is not repeated)
    rerun,  // run it again on another replica, within misfire_grace
};
enum class Misfire { skip, run_once };

inline constexpr unsigned kUnlimitedOverlap = UINT_MAX;
inline constexpr std::size_t kDefaultOutputLimit = std::size_t{1} << 20;

struct TaskConfig {
    std::string name;
    SourcePosition position;
    Schedule schedule;
    bool run_at_start = true;
    Action action;
    std::optional<Duration> timeout;  // per attempt; webhooks default to 30s
    // How much of a command's output (its hooks' too) is kept for {{output}} and attachments.
    std::size_t output_limit = kDefaultOutputLimit;
    std::optional<std::uint64_t> count;
    bool reconnect = true;
    RetryOn retry_on;
    std::optional<std::uint64_t> max_retries;  // nullopt: unlimited
    AfterError on_error = AfterError::continue_loop;
    bool on_error_first = false;  // [task.on_error] when = "first"
    unsigned max_concurrent = 1;  // `overlap`: 1 = false, kUnlimitedOverlap = true
    Misfire misfire = Misfire::skip;
    Duration misfire_grace;
    Duration jitter{0};
    bool enabled = true;
    Hooks hooks;
    std::optional<std::string> ping;  // a key of Config::pings
    // Cluster mode (SPEC 14): an interval task's grid starts at the Unix epoch plus `offset` (0 <=
    // offset < interval).
    Duration offset{0};
    OnCrash on_crash = OnCrash::skip;
    // Equal for two loads of the same [[task]] table (key order and formatting aside) under the
    // same zone, in any process on any machine: a reload keeps a task whose fingerprint, and
    // webhook URLs, did not change, and cluster replicas compare it.
    std::uint64_t fingerprint = 0;
};

// Cluster mode (SPEC 14): [tasksrun] cluster_url_env or cluster_url_file, and replica.
struct ClusterSettings {
    UrlSource url;  // env or file (never literal): a libpq connection string, a secret
    std::optional<std::string> replica = std::nullopt;  // nullopt: the host name, at run time
};

struct DaemonSettings {
    Zone zone = Zone::utc();
    std::optional<std::string> state_dir;  // nullopt: $STATE_DIRECTORY, resolved at run time
    Duration shutdown_timeout;
    std::optional<ListenAddress> http =
        std::nullopt;  // nullopt: no HTTP listener (/metrics, /healthz, /)
    std::optional<ClusterSettings> cluster = std::nullopt;  // nullopt: a daemon on its own
};

struct Config {
    std::string path;
    DaemonSettings settings;
    std::map<std::string, WebhookEndpoint> webhooks;
    std::map<std::string, PingEndpoint> pings;
    std::vector<TaskConfig> tasks;  // in file order
};

}  // namespace tasksrun

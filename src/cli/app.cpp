#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <optional>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "event/clock.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

std::string default_config_path() {
    if (const char* env = std::getenv("TASKSRUN_CONFIG"); env != nullptr && *env != '\0')
        return env;
    return "/etc/tasksrun/tasks.toml";
}

// --from as given, or now in whole seconds (so that listings are not cluttered with fractions).
// Throws CLI::ValidationError so that a bad value exits as a usage error.
Instant resolve_from(const std::string& text) {
    if (text.empty()) return std::chrono::floor<std::chrono::seconds>(wall_clock_now());
    auto parsed = parse_rfc3339(text);
    if (!parsed) throw CLI::ValidationError("--from", parsed.error());
    return *parsed;
}

// The options every subcommand shares, as parsed.
struct Globals {
    std::string config_path = default_config_path();
    LogOptions log;
    std::string control_socket;
};

// Each subcommand registers its options and returns what runs it once the line is parsed: its
// exit code, or nullopt when the line chose another subcommand.
using Runner = std::function<std::optional<int>()>;

Runner add_check(CLI::App& app, const Globals& globals) {
    CLI::App* check =
        app.add_subcommand("check", "Validate the config; one line per task with its next run");
    auto from = std::make_shared<std::string>();
    auto no_secrets = std::make_shared<bool>(false);
    check->add_option("--from", *from, "Show next runs as of this RFC 3339 instant instead of now");
    check->add_flag("--no-secrets", *no_secrets,
                    "Do not read url_env variables and url_file files (CI without secrets)");
    return [&globals, from, no_secrets, check]() -> std::optional<int> {
        if (!*check) return std::nullopt;
        return check_command({globals.config_path, resolve_from(*from), *no_secrets});
    };
}

Runner add_next(CLI::App& app, const Globals& globals) {
    CLI::App* next =
        app.add_subcommand("next", "List upcoming firings in UTC and in the task's zone");
    auto options = std::make_shared<NextOptions>();
    auto from = std::make_shared<std::string>();
    next->add_option("--task", options->task, "Only this task");
    next->add_option("-n", options->count, "Firings per task")->check(CLI::Range(1, 100000));
    next->add_option("--from", *from, "List firings after this RFC 3339 instant instead of now");
    next->add_flag("--json", options->json, "One JSON object per line");
    return [&globals, options, from, next]() -> std::optional<int> {
        if (!*next) return std::nullopt;
        options->config_path = globals.config_path;
        options->from = resolve_from(*from);
        return next_command(*options);
    };
}

Runner add_run_once(CLI::App& app, const Globals& globals) {
    CLI::App* run_once =
        app.add_subcommand("run-once", "Fire one task's action now and exit with its outcome");
    auto options = std::make_shared<RunOnceOptions>();
    run_once->add_option("TASK", options->task, "The task to run")->required();
    run_once->add_flag("--hooks", options->hooks,
                       "Also run before_loop, on_success or on_error, and after_loop");
    return [&globals, options, run_once]() -> std::optional<int> {
        if (!*run_once) return std::nullopt;
        options->config_path = globals.config_path;
        options->log = globals.log;
        return run_once_command(*options);
    };
}

Runner add_ctl(CLI::App& app, const Globals& globals) {
    CLI::App* ctl = app.add_subcommand("ctl", "Talk to a running daemon over its control socket");
    ctl->require_subcommand(1);
    auto options = std::make_shared<CtlOptions>();
    ctl->add_option("--socket", options->socket,
                    "Control socket ($RUNTIME_DIRECTORY/tasksrun.sock, else the packaged "
                    "unit's for -c: /run/tasksrun[/NAME]/tasksrun.sock)");
    ctl->add_flag("--json", options->json, "Print the daemon's JSON reply");
    const std::pair<const char*, const char*> verbs[] = {
        {"status", "Every task's state and Loop properties, or one task's"},
        {"start", "Start a task's loop"},
        {"stop", "Stop a task's loop gracefully: a running iteration finishes"},
        {"cancel", "Cancel a task's loop: running actions are aborted"},
        {"restart", "Cancel, then start again once after_loop has run"},
        {"change-interval", "Change a task's schedule at once"},
        {"run-now", "Run one extra iteration now, outside the schedule"}};
    for (const auto& [verb, help] : verbs) {
        CLI::App* command = ctl->add_subcommand(verb, help);
        command->final_callback([options, name = std::string(verb)] { options->verb = name; });
        auto* task = command->add_option("TASK", options->task, "The task");
        if (std::string_view(verb) != "status") task->required();
        if (std::string_view(verb) == "change-interval") {
            command->add_option("--seconds", options->seconds, "Interval seconds");
            command->add_option("--minutes", options->minutes, "Interval minutes");
            command->add_option("--hours", options->hours, "Interval hours");
            command->add_option("--time", options->times, "A time of day HH:MM[:SS]; repeat");
            command->add_option("--cron", options->cron, "A cron expression");
        }
    }
    return [&globals, options, ctl]() -> std::optional<int> {
        if (!*ctl) return std::nullopt;
        options->config_path = globals.config_path;
        // `tasksrun --control-socket P ctl ...` means the socket the daemon was given.
        if (options->socket.empty()) options->socket = globals.control_socket;
        return ctl_command(*options);
    };
}

Runner add_history(CLI::App& app, const Globals& globals) {
    CLI::App* history = app.add_subcommand("history", "Recent runs from the state database");
    auto options = std::make_shared<HistoryOptions>();
    history->add_option("TASK", options->task, "Only this task");
    history->add_option("-n", options->count, "How many runs")->check(CLI::Range(1, 1000000));
    history->add_flag("--json", options->json, "One JSON object per line");
    return [&globals, options, history]() -> std::optional<int> {
        if (!*history) return std::nullopt;
        options->config_path = globals.config_path;
        return history_command(*options);
    };
}

int run_daemon(const Globals& globals) {
    return run_command(RunOptions{.config_path = globals.config_path,
                                  .log = globals.log,
                                  .control_socket = globals.control_socket});
}

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"tasksrun: scheduled webhooks and commands, driven by discord.ext.tasks loops",
                 "tasksrun"};
    app.set_version_flag("--version", std::string("tasksrun ") + TASKSRUN_VERSION);
    app.fallthrough();
    app.require_subcommand(0, 1);

    Globals globals;
    app.add_option("-c,--config", globals.config_path,
                   "Config file ($TASKSRUN_CONFIG, else /etc/tasksrun/tasks.toml)");
    app.add_option("--log-format", globals.log.format, "Log format")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", globals.log.level, "Least severe level logged")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
    app.add_subcommand("run", "Run the daemon in the foreground (the default)");
    app.add_option("--control-socket", globals.control_socket,
                   "The daemon's control socket ($RUNTIME_DIRECTORY/tasksrun.sock, else none)");

    const Runner subcommands[] = {add_ctl(app, globals), add_history(app, globals),
                                  add_check(app, globals), add_next(app, globals),
                                  add_run_once(app, globals)};
    try {
        app.parse(argc, argv);
        for (const Runner& subcommand : subcommands) {
            if (const auto code = subcommand()) return *code;
        }
        return run_daemon(globals);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? exit_code::ok : exit_code::usage;
    }
}

}  // namespace tasksrun

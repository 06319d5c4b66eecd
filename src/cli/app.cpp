#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "runtime/clock.hpp"
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

}  // namespace

int run_cli(int argc, char** argv) {
    CLI::App app{"tasksrun: scheduled webhooks and commands, driven by discord.ext.tasks loops",
                 "tasksrun"};
    app.set_version_flag("--version", std::string("tasksrun ") + TASKSRUN_VERSION);
    app.fallthrough();
    app.require_subcommand(0, 1);

    std::string config_path = default_config_path();
    LogOptions log;
    app.add_option("-c,--config", config_path,
                   "Config file ($TASKSRUN_CONFIG, else /etc/tasksrun/tasks.toml)");
    app.add_option("--log-format", log.format, "Log format")
        ->check(CLI::IsMember({"text", "json"}));
    app.add_option("--log-level", log.level, "Least severe level logged")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));

    RunOptions run_options;
    app.add_subcommand("run", "Run the daemon in the foreground (the default)");
    app.add_option("--control-socket", run_options.control_socket,
                   "The daemon's control socket ($RUNTIME_DIRECTORY/tasksrun.sock, else none)");

    std::string from_text;
    bool no_secrets = false;
    CLI::App* check =
        app.add_subcommand("check", "Validate the config; one line per task with its next run");
    check->add_option("--from", from_text,
                      "Show next runs as of this RFC 3339 instant instead of now");
    check->add_flag("--no-secrets", no_secrets,
                    "Do not read url_env variables and url_file files (CI without secrets)");

    NextOptions next_options;
    CLI::App* next =
        app.add_subcommand("next", "List upcoming firings in UTC and in the task's zone");
    next->add_option("--task", next_options.task, "Only this task");
    next->add_option("-n", next_options.count, "Firings per task")->check(CLI::Range(1, 100000));
    next->add_option("--from", from_text,
                     "List firings after this RFC 3339 instant instead of now");
    next->add_flag("--json", next_options.json, "One JSON object per line");

    RunOnceOptions once;
    CLI::App* run_once =
        app.add_subcommand("run-once", "Fire one task's action now and exit with its outcome");
    run_once->add_option("TASK", once.task, "The task to run")->required();
    run_once->add_flag("--hooks", once.hooks,
                       "Also run before_loop, on_success or on_error, and after_loop");

    CtlOptions ctl_options;
    CLI::App* ctl = app.add_subcommand("ctl", "Talk to a running daemon over its control socket");
    ctl->require_subcommand(1);
    ctl->add_option("--socket", ctl_options.socket,
                    "Control socket ($RUNTIME_DIRECTORY/tasksrun.sock, else the packaged "
                    "unit's for -c: /run/tasksrun[/NAME]/tasksrun.sock)");
    ctl->add_flag("--json", ctl_options.json, "Print the daemon's JSON reply");
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
        command->final_callback(
            [&ctl_options, name = std::string(verb)] { ctl_options.verb = name; });
        auto* task = command->add_option("TASK", ctl_options.task, "The task");
        if (std::string_view(verb) != "status") task->required();
        if (std::string_view(verb) == "change-interval") {
            command->add_option("--seconds", ctl_options.seconds, "Interval seconds");
            command->add_option("--minutes", ctl_options.minutes, "Interval minutes");
            command->add_option("--hours", ctl_options.hours, "Interval hours");
            command->add_option("--time", ctl_options.times, "A time of day HH:MM[:SS]; repeat");
            command->add_option("--cron", ctl_options.cron, "A cron expression");
        }
    }

    HistoryOptions history_options;
    CLI::App* history = app.add_subcommand("history", "Recent runs from the state database");
    history->add_option("TASK", history_options.task, "Only this task");
    history->add_option("-n", history_options.count, "How many runs")
        ->check(CLI::Range(1, 1000000));
    history->add_flag("--json", history_options.json, "One JSON object per line");

    try {
        app.parse(argc, argv);
        if (*ctl) {
            ctl_options.config_path = config_path;
            // `tasksrun --control-socket P ctl ...` means the socket the daemon was given.
            if (ctl_options.socket.empty()) ctl_options.socket = run_options.control_socket;
            return ctl_command(ctl_options);
        }
        if (*history) {
            history_options.config_path = config_path;
            return history_command(history_options);
        }
        if (*check) return check_command({config_path, resolve_from(from_text), no_secrets});
        if (*next) {
            next_options.config_path = config_path;
            next_options.from = resolve_from(from_text);
            return next_command(next_options);
        }
        if (*run_once) {
            once.config_path = config_path;
            once.log = log;
            return run_once_command(once);
        }
        run_options.config_path = config_path;
        run_options.log = log;
        return run_command(run_options);
    } catch (const CLI::ParseError& error) {
        const int code = app.exit(error);
        return code == 0 ? exit_code::ok : exit_code::usage;
    }
}

}  // namespace tasksrun

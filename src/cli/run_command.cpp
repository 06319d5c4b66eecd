#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "log/logger.hpp"
#include "runtime/daemon.hpp"
#include "runtime/run_once.hpp"
#include "util/suggest.hpp"

namespace tasksrun {
namespace {

// A logger that scrubs the secrets of `tasks`' webhooks, and those webhooks in hand; nullopt
// after printing why they cannot be used (an unset variable, an unreadable file, ...).
struct Prepared {
    std::unique_ptr<Logger> logger;
    ResolvedWebhooks webhooks;
};

std::optional<Prepared> prepare(const Config& config, const std::vector<const TaskConfig*>& tasks,
                                const LogOptions& options) {
    auto redactor = std::make_shared<Redactor>();
    auto webhooks = resolve_webhooks(config, tasks, *redactor);
    if (!webhooks) {
        for (const std::string& problem : webhooks.error())
            std::cerr << config.path << ": " << problem << '\n';
        return std::nullopt;
    }
    auto logger =
        std::make_unique<Logger>(options.format == "json" ? LogFormat::json : LogFormat::text,
                                 parse_log_level(options.level));
    logger->set_redactor(std::move(redactor));
    return Prepared{std::move(logger), std::move(*webhooks)};
}

}  // namespace

int run_command(const RunOptions& options) {
    const auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;
    auto prepared = prepare(*config, enabled_tasks(*config), options.log);
    if (!prepared) return exit_code::config;
    try {
        Daemon daemon(*config, *prepared->logger, std::move(prepared->webhooks));
        return daemon.run();
    } catch (const std::exception& error) {
        prepared->logger->message(LogLevel::error, std::string("fatal: ") + error.what());
        return exit_code::failure;
    }
}

int run_once_command(const RunOnceOptions& options) {
    const auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;
    const auto task = std::ranges::find(config->tasks, options.task, &TaskConfig::name);
    if (task == config->tasks.end()) {
        std::vector<std::string> names;
        for (const TaskConfig& t : config->tasks) names.push_back(t.name);
        std::cerr << "tasksrun run-once: no task named \"" << options.task << "\" in "
                  << config->path << did_you_mean(closest_match(options.task, names)) << '\n';
        return exit_code::usage;
    }
    // run-once is the way to try a task by hand, so it runs disabled tasks too.
    auto prepared = prepare(*config, {&*task}, options.log);
    if (!prepared) return exit_code::config;
    try {
        const Outcome outcome =
            run_once(*task, *prepared->logger, prepared->webhooks, options.hooks);
        return outcome.ok() ? exit_code::ok : exit_code::failure;
    } catch (const std::exception& error) {
        prepared->logger->message(LogLevel::error, std::string("fatal: ") + error.what());
        return exit_code::failure;
    }
}

}  // namespace tasksrun

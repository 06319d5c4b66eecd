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

Logger make_logger(const LogOptions& options) {
    return Logger(options.format == "json" ? LogFormat::json : LogFormat::text,
                  parse_log_level(options.level));
}

// The config, if it is valid and everything in it can run in this version.
std::optional<Config> load_runnable(const std::string& path) {
    auto config = load_config_reporting(path);
    if (!config) return std::nullopt;
    const auto problems = unsupported_actions(*config);
    for (const std::string& problem : problems) std::cerr << problem << '\n';
    if (!problems.empty()) return std::nullopt;
    return config;
}

}  // namespace

int run_command(const RunOptions& options) {
    const auto config = load_runnable(options.config_path);
    if (!config) return exit_code::config;
    Logger logger = make_logger(options.log);
    try {
        Daemon daemon(*config, logger);
        return daemon.run();
    } catch (const std::exception& error) {
        logger.message(LogLevel::error, std::string("fatal: ") + error.what());
        return exit_code::failure;
    }
}

int run_once_command(const RunOnceOptions& options) {
    const auto config = load_runnable(options.config_path);
    if (!config) return exit_code::config;
    const auto task = std::ranges::find(config->tasks, options.task, &TaskConfig::name);
    if (task == config->tasks.end()) {
        std::vector<std::string> names;
        for (const TaskConfig& t : config->tasks) names.push_back(t.name);
        std::cerr << "tasksrun run-once: no task named \"" << options.task << "\" in "
                  << config->path << did_you_mean(closest_match(options.task, names)) << '\n';
        return exit_code::usage;
    }
    if (!task->enabled) {
        // run-once is the way to try a disabled task by hand, so the webhook check above (which
        // skips disabled tasks) must be repeated for it.
        Config only = *config;
        only.tasks = {*task};
        only.tasks[0].enabled = true;
        const auto problems = unsupported_actions(only);
        for (const std::string& problem : problems) std::cerr << problem << '\n';
        if (!problems.empty()) return exit_code::config;
    }
    Logger logger = make_logger(options.log);
    try {
        const Outcome outcome = run_once(*task, logger, options.hooks);
        return outcome.ok() ? exit_code::ok : exit_code::failure;
    } catch (const std::exception& error) {
        logger.message(LogLevel::error, std::string("fatal: ") + error.what());
        return exit_code::failure;
    }
}

}  // namespace tasksrun

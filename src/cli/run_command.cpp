#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "cli/service_paths.hpp"
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
    ResolvedEndpoints endpoints;
    std::shared_ptr<const Redactor> redactor;
};

std::optional<Prepared> prepare(const Config& config, const std::vector<const TaskConfig*>& tasks,
                                const LogOptions& options, EndpointUse use = {}) {
    auto redactor = std::make_shared<Redactor>();
    auto endpoints = resolve_endpoints(config, tasks, redactor, use);
    if (!endpoints) {
        for (const std::string& problem : endpoints.error().formatted())
            std::cerr << problem << '\n';
        return std::nullopt;
    }
    auto logger =
        std::make_unique<Logger>(options.format == "json" ? LogFormat::json : LogFormat::text,
                                 parse_log_level(options.level));
    logger->set_redactor(redactor);
    return Prepared{std::move(logger), std::move(*endpoints), std::move(redactor)};
}

}  // namespace

int run_command(const RunOptions& options) {
    auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;
    auto prepared = prepare(*config, enabled_tasks(*config), options.log);
    if (!prepared) return exit_code::config;
    DaemonOptions daemon_options{.control_socket = daemon_control_socket(options.control_socket),
                                 .store = nullptr,
                                 .redactor = prepared->redactor};
    if (const auto dir = state_directory(*config)) {
        auto store = StateStore::open(*dir, config->path);
        if (!store) {
            prepared->logger->message(LogLevel::error, "fatal: " + store.error());
            return exit_code::failure;
        }
        daemon_options.store = std::move(*store);
    }
    try {
        Daemon daemon(std::move(*config), *prepared->logger, std::move(prepared->endpoints),
                      std::move(daemon_options));
        return daemon.run();
    } catch (const std::exception& error) {
        prepared->logger->message(LogLevel::error, std::string("fatal: ") + error.what());
        return exit_code::failure;
    }
}

int run_once_command(const RunOnceOptions& options) {
    auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;
    const TaskConfig* task = find_task_reporting(*config, options.task, "run-once");
    if (task == nullptr) return exit_code::usage;
    // run-once is the way to try a task by hand, so it runs disabled tasks too.
    // Only what it will use: the webhooks of hooks that do not run need no secret in hand.
    auto prepared = prepare(*config, {task}, options.log,
                            EndpointUse{.hooks = options.hooks, .ping = false, .cluster = false});
    if (!prepared) return exit_code::config;
    try {
        const bool ok = run_once(std::move(*config), options.task, *prepared->logger,
                                 std::move(prepared->endpoints), options.hooks);
        return ok ? exit_code::ok : exit_code::failure;
    } catch (const std::exception& error) {
        prepared->logger->message(LogLevel::error, std::string("fatal: ") + error.what());
        return exit_code::failure;
    }
}

}  // namespace tasksrun

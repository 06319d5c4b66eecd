#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "cli/upcoming.hpp"
#include "runtime/daemon.hpp"
#include "runtime/webhooks.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

// The daemon's own verdict on the endpoints its enabled tasks use: the same file in the same
// environment passes here exactly when the daemon would start with it.
bool endpoints_resolve(const Config& config) {
    const auto resolved =
        resolve_endpoints(config, enabled_tasks(config), std::make_shared<Redactor>());
    if (resolved) return true;
    for (const std::string& line : resolved.error().formatted()) std::cerr << line << '\n';
    const std::size_t errors = resolved.error().error_count();
    std::cerr << config.path << ": " << errors << (errors == 1 ? " error" : " errors")
              << "; nothing was started (check --no-secrets skips reading url_env and "
                 "url_file)\n";
    return false;
}

}  // namespace

int check_command(const CheckOptions& options) {
    const auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;
    if (!options.no_secrets && !endpoints_resolve(*config)) return exit_code::config;

    std::size_t name_width = 0;
    std::size_t schedule_width = 0;
    std::vector<std::string> schedules;
    for (const TaskConfig& task : config->tasks) {
        schedules.push_back(task.schedule.describe());
        name_width = std::max(name_width, task.name.size());
        schedule_width = std::max(schedule_width, schedules.back().size());
    }
    std::size_t disabled = 0;
    for (std::size_t i = 0; i < config->tasks.size(); ++i) {
        const TaskConfig& task = config->tasks[i];
        std::string line = task.name + std::string(name_width - task.name.size() + 2, ' ') +
                           schedules[i] +
                           std::string(schedule_width - schedules[i].size() + 2, ' ');
        const auto firings = upcoming_firings(task, replication_of(*config), options.from, 1);
        if (!task.enabled) {
            ++disabled;
            line += "disabled";
        } else if (firings.empty()) {
            line += "never fires";
        } else {
            const auto offset = firing_zone(task, *config, firings[0])
                                    .offset_at(date::floor<std::chrono::seconds>(firings[0]));
            line +=
                "next " + format_utc(firings[0]) + " (" + format_local(firings[0], offset) + ")";
        }
        std::cout << line << '\n';
    }
    const std::size_t n = config->tasks.size();
    std::cout << config->path << ": " << n << (n == 1 ? " task" : " tasks") << " valid";
    if (disabled != 0) std::cout << " (" << disabled << " disabled)";
    std::cout << '\n';
    return exit_code::ok;
}

}  // namespace tasksrun

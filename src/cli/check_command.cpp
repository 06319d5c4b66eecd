#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "cli/upcoming.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {

int check_command(const CheckOptions& options) {
    const auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;

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
        const auto firings = upcoming_firings(task, options.from, 1);
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

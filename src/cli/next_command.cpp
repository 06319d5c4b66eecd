#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "cli/upcoming.hpp"
#include "util/rfc3339.hpp"
#include "util/suggest.hpp"

namespace tasksrun {

int next_command(const NextOptions& options) {
    const auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;

    std::vector<const TaskConfig*> selected;
    if (options.task) {
        // Disabled tasks do not fire, so they are listed only when asked for by name.
        const TaskConfig* task = find_task_reporting(*config, *options.task, "next");
        if (task == nullptr) return exit_code::usage;
        selected.push_back(task);
    } else {
        for (const TaskConfig& task : config->tasks) {
            if (task.enabled) selected.push_back(&task);
        }
    }

    std::size_t name_width = 0;
    for (const TaskConfig* task : selected) name_width = std::max(name_width, task->name.size());
    for (const TaskConfig* task : selected) {
        for (const Instant at :
             upcoming_firings(*task, replication_of(*config), options.from, options.count)) {
            // In the zone of the `time` entry that produced the firing.
            const Zone& zone = firing_zone(*task, *config, at);
            const std::string local =
                format_local(at, zone.offset_at(date::floor<std::chrono::seconds>(at)));
            if (options.json) {
                nlohmann::ordered_json line;
                line["task"] = task->name;
                line["at"] = format_utc(at);
                line["local"] = local;
                std::cout << line.dump() << '\n';
            } else {
                std::cout << task->name << std::string(name_width - task->name.size() + 2, ' ')
                          << format_utc(at) << "  " << local << '\n';
            }
        }
    }
    return exit_code::ok;
}

}  // namespace tasksrun

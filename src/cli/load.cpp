#include "cli/load.hpp"

#include <iostream>

#include "config/loader.hpp"

namespace tasksrun {

std::optional<Config> load_config_reporting(const std::string& path) {
    LoadResult result = load_config_file(path);
    for (const std::string& line : result.diagnostics.formatted()) std::cerr << line << '\n';
    if (const std::size_t errors = result.diagnostics.error_count(); errors != 0) {
        std::cerr << path << ": " << errors << (errors == 1 ? " error" : " errors")
                  << "; nothing was started\n";
    }
    return std::move(result.config);
}

const Zone& display_zone(const TaskConfig& task, const Config& config) {
    if (const auto* clock = task.schedule.wall_clock()) return clock->zone();
    return config.settings.zone;
}

}  // namespace tasksrun

#include "cli/load.hpp"

#include <sys/stat.h>

#include <iostream>

#include "config/loader.hpp"
#include "util/suggest.hpp"

namespace tasksrun {

namespace {

// A literal webhook URL is a secret; in a file other users can read, it is not one for long.
void warn_about_readable_secrets(const Config& config, Diagnostics& diagnostics) {
    struct stat info {};
    if (stat(config.path.c_str(), &info) != 0 || (info.st_mode & S_IROTH) == 0) return;
    for (const auto& [name, webhook] : config.webhooks) {
        if (webhook.url.from != UrlSource::From::literal) continue;
        diagnostics.warning(webhook.position,
                            "webhook \"" + name +
                                "\" has its URL, a secret, in this file, which "
                                "other users can read: use url_env or url_file, or chmod o-r " +
                                config.path);
    }
}

}  // namespace

std::optional<Config> load_config_reporting(const std::string& path) {
    LoadResult result = load_config_file(path);
    if (result.config) warn_about_readable_secrets(*result.config, result.diagnostics);
    for (const std::string& line : result.diagnostics.formatted()) std::cerr << line << '\n';
    if (const std::size_t errors = result.diagnostics.error_count(); errors != 0) {
        std::cerr << path << ": " << errors << (errors == 1 ? " error" : " errors")
                  << "; nothing was started\n";
    }
    return std::move(result.config);
}

const TaskConfig* find_task_reporting(const Config& config, const std::string& name,
                                      std::string_view command) {
    const auto task = std::ranges::find(config.tasks, name, &TaskConfig::name);
    if (task != config.tasks.end()) return &*task;
    std::vector<std::string> names;
    for (const TaskConfig& known : config.tasks) names.push_back(known.name);
    std::cerr << "tasksrun " << command << ": no task named \"" << name << "\" in " << config.path
              << did_you_mean(closest_match(name, names)) << '\n';
    return nullptr;
}

const Zone& display_zone(const TaskConfig& task, const Config& config) {
    if (const auto* clock = task.schedule.wall_clock()) return clock->zone();
    return config.settings.zone;
}

}  // namespace tasksrun

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "cli/service_paths.hpp"
#include "state/state_store.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

nlohmann::json to_json(const RunRecord& run) {
    return {
        {"task", run.task},
        {"loop", run.loop},
        {"scheduled", format_utc(run.scheduled)},
        {"started", format_utc(run.started)},
        {"lateness_ms", to_milliseconds(run.lateness)},
        {"duration_ms", run.duration ? nlohmann::json(to_milliseconds(*run.duration)) : nullptr},
        {"attempts", run.attempts},
        {"outcome", run.outcome},
        {"class", run.failure_class},
        {"message", run.message}};
}

}  // namespace

int history_command(const HistoryOptions& options) {
    const auto config = load_config_reporting(options.config_path);
    if (!config) return exit_code::config;

    // A task no longer in the config may still have runs on record; a name in neither is most
    // likely a typo.
    const bool in_config =
        !options.task ||
        std::ranges::find(config->tasks, *options.task, &TaskConfig::name) != config->tasks.end();
    const auto unknown_task = [&] {
        find_task_reporting(*config, *options.task, "history");
        return exit_code::usage;
    };
    const auto dir = state_directory_to_read(*config);
    if (!dir) {
        if (!in_config) return unknown_task();
        std::cerr << "tasksrun history: " << config->path
                  << " sets no state_dir and $STATE_DIRECTORY is not set, so no runs are "
                     "recorded\n";
        return exit_code::failure;
    }
    auto store = StateStore::open_read_only(*dir);
    if (!store) {
        if (!in_config) return unknown_task();
        std::cerr << "tasksrun history: " << store.error() << '\n';
        return exit_code::failure;
    }
    auto found = (*store)->history(options.task, options.count);
    if (!found) {
        std::cerr << "tasksrun history: " << found.error() << '\n';
        return exit_code::failure;
    }
    std::vector<RunRecord>& runs = *found;
    if (runs.empty() && !in_config) return unknown_task();
    if (options.json) {
        for (const RunRecord& run : runs) std::cout << to_json(run).dump() << '\n';
        return exit_code::ok;
    }
    // Oldest first, as a log reads.
    std::ranges::reverse(runs);
    std::size_t width = 4;
    for (const RunRecord& run : runs) width = std::max(width, run.task.size());
    std::cout << fmt::format("{:<20}  {:<{}}  {:>6}  {:<16}  {:>8}  {:>12}  {:>12}  {}\n",
                             "STARTED (UTC)", "TASK", width, "LOOP", "OUTCOME", "ATTEMPTS",
                             "DURATION", "LATENESS", "MESSAGE");
    for (const RunRecord& run : runs) {
        std::string outcome = run.outcome;
        if (!run.failure_class.empty()) outcome += " " + run.failure_class;
        std::cout << fmt::format("{:<20}  {:<{}}  {:>6}  {:<16}  {:>8}  {:>12}  {:>12}  {}\n",
                                 format_utc(std::chrono::floor<std::chrono::seconds>(run.started)),
                                 run.task, width, run.loop, outcome, run.attempts,
                                 run.duration ? format_milliseconds(*run.duration) : "-",
                                 format_milliseconds(run.lateness), run.message);
    }
    return exit_code::ok;
}

}  // namespace tasksrun

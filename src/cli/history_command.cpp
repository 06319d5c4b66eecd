#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load.hpp"
#include "cli/service_paths.hpp"
#include "runtime/cluster_history.hpp"
#include "state/state_store.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

// One run as history shows it; in cluster mode, with the replica that ran it.
struct HistoryRow {
    RunRecord run;
    std::optional<std::string> replica = std::nullopt;
};

nlohmann::json to_json(const HistoryRow& row) {
    const RunRecord& run = row.run;
    nlohmann::json json{
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
    if (row.replica) json["replica"] = *row.replica;
    return json;
}

// The runs on record: the cluster's in cluster mode, else the state database's. An error
// message when they cannot be read.
std::expected<std::vector<HistoryRow>, std::string> read_runs(const Config& config,
                                                              const HistoryOptions& options) {
    std::vector<HistoryRow> rows;
    if (const auto& cluster = config.settings.cluster) {
        auto runs = read_cluster_history(*cluster, options.task, options.count);
        if (!runs) return std::unexpected(runs.error());
        for (ClusterRun& run : *runs) rows.push_back({std::move(run.record), run.replica});
        return rows;
    }
    const auto dir = state_directory_to_read(config);
    if (!dir) {
        return std::unexpected(config.path +
                               " sets no state_dir and $STATE_DIRECTORY is not set, so no runs "
                               "are recorded");
    }
    auto store = StateStore::open_read_only(*dir);
    if (!store) return std::unexpected(store.error());
    auto runs = (*store)->history(options.task, options.count);
    if (!runs) return std::unexpected(runs.error());
    for (RunRecord& run : *runs) rows.push_back({std::move(run)});
    return rows;
}

void print_table(std::vector<HistoryRow> rows, bool cluster) {
    // Oldest first, as a log reads.
    std::ranges::reverse(rows);
    std::size_t width = 4;
    std::size_t replica_width = 7;
    for (const HistoryRow& row : rows) {
        width = std::max(width, row.run.task.size());
        replica_width = std::max(replica_width, row.replica.value_or("").size());
    }
    const auto line = [&](std::string_view started, std::string_view task, std::string_view loop,
                          std::string_view outcome, std::string_view attempts,
                          std::string_view duration, std::string_view lateness,
                          std::string_view replica, std::string_view message) {
        std::cout << fmt::format("{:<20}  {:<{}}  {:>6}  {:<16}  {:>8}  {:>12}  {:>12}  ", started,
                                 task, width, loop, outcome, attempts, duration, lateness);
        if (cluster) std::cout << fmt::format("{:<{}}  ", replica, replica_width);
        std::cout << message << '\n';
    };
    line("STARTED (UTC)", "TASK", "LOOP", "OUTCOME", "ATTEMPTS", "DURATION", "LATENESS", "REPLICA",
         "MESSAGE");
    for (const HistoryRow& row : rows) {
        const RunRecord& run = row.run;
        std::string outcome = run.outcome;
        if (!run.failure_class.empty()) outcome += " " + run.failure_class;
        line(format_utc(std::chrono::floor<std::chrono::seconds>(run.started)), run.task,
             std::to_string(run.loop), outcome, std::to_string(run.attempts),
             run.duration ? format_milliseconds(*run.duration) : "-",
             format_milliseconds(run.lateness), row.replica.value_or(""), run.message);
    }
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
    auto rows = read_runs(*config, options);
    if (!rows) {
        if (!in_config) return unknown_task();
        std::cerr << "tasksrun history: " << rows.error() << '\n';
        return exit_code::failure;
    }
    if (rows->empty() && !in_config) return unknown_task();
    if (options.json) {
        for (const HistoryRow& row : *rows) std::cout << to_json(row).dump() << '\n';
        return exit_code::ok;
    }
    print_table(std::move(*rows), config->settings.cluster.has_value());
    return exit_code::ok;
}

}  // namespace tasksrun

#pragma once
// Subcommands. Each prints its own results and diagnostics and returns an exit code.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "util/instant.hpp"

namespace tasksrun {

struct CheckOptions {
    std::string config_path;
    Instant from;
    // Skip reading url_env and url_file: for CI, which has the config but not its secrets.
    bool no_secrets = false;
};
int check_command(const CheckOptions& options);

struct NextOptions {
    std::string config_path;
    std::optional<std::string> task;
    std::size_t count = 5;
    Instant from;
    bool json = false;
};
int next_command(const NextOptions& options);

struct LogOptions {
    std::string format = "text";
    std::string level = "info";
};

struct RunOptions {
    std::string config_path;
    LogOptions log;
    std::string control_socket;  // empty: $RUNTIME_DIRECTORY/tasksrun.sock, else none
};
int run_command(const RunOptions& options);

struct RunOnceOptions {
    std::string config_path;
    std::string task;
    bool hooks = false;
    LogOptions log;
};
int run_once_command(const RunOnceOptions& options);

struct CtlOptions {
    std::string socket;       // empty: the default (see client_control_socket)
    std::string config_path;  // only to find the packaged unit's socket
    std::string verb;         // status, start, stop, cancel, restart, change-interval, run-now
    std::optional<std::string> task;
    bool json = false;
    // change-interval
    std::optional<double> seconds, minutes, hours;
    std::vector<std::string> times;
    std::optional<std::string> cron;
};
int ctl_command(const CtlOptions& options);

struct HistoryOptions {
    std::string config_path;
    std::optional<std::string> task;
    std::size_t count = 20;
    bool json = false;
};
int history_command(const HistoryOptions& options);

}  // namespace tasksrun

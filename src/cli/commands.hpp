#pragma once
// Subcommands. Each prints its own results and diagnostics and returns an exit code.
#include <cstddef>
#include <optional>
#include <string>

#include "schedule/instant.hpp"

namespace tasksrun {

struct CheckOptions {
    std::string config_path;
    Instant from;
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
};
int run_command(const RunOptions& options);

struct RunOnceOptions {
    std::string config_path;
    std::string task;
    bool hooks = false;
    LogOptions log;
};
int run_once_command(const RunOnceOptions& options);

}  // namespace tasksrun

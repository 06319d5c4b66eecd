#pragma once
// Where the daemon keeps its state and its control socket, as SPEC 6 resolves them.
#include <optional>
#include <string>

#include "config/config.hpp"

namespace tasksrun {

// state_dir from the config, else $STATE_DIRECTORY (its first entry), else none.
std::optional<std::string> state_directory(const Config& config);

// For the daemon: --control-socket, else $RUNTIME_DIRECTORY/tasksrun.sock, else none.
std::optional<std::string> daemon_control_socket(const std::string& option);
// For `tasksrun ctl`: --socket, else $RUNTIME_DIRECTORY/tasksrun.sock, else the packaged
// service's /run/tasksrun/tasksrun.sock.
std::string client_control_socket(const std::string& option);

}  // namespace tasksrun

#pragma once
// Where the daemon keeps its state and its control socket, as SPEC 6 resolves them, and where
// the packaged units put them, for the commands an operator types in a shell.
#include <optional>
#include <string>

#include "config/config.hpp"

namespace tasksrun {

// For the daemon: state_dir from the config, else $STATE_DIRECTORY (its first entry), else none.
std::optional<std::string> state_directory(const Config& config);
// For `tasksrun history`, which runs outside the unit: as above, else the packaged unit's
// directory for a config in /etc/tasksrun (tasks.toml: /var/lib/tasksrun; NAME.toml:
// /var/lib/tasksrun/NAME).
std::optional<std::string> state_directory_to_read(const Config& config);

// For the daemon: --control-socket, else $RUNTIME_DIRECTORY/tasksrun.sock, else none.
std::optional<std::string> daemon_control_socket(const std::string& option);
// For `tasksrun ctl`: --socket, else $RUNTIME_DIRECTORY/tasksrun.sock, else the packaged unit's
// socket for `config_path` (tasks.toml, or any path outside /etc/tasksrun:
// /run/tasksrun/tasksrun.sock; /etc/tasksrun/NAME.toml: /run/tasksrun/NAME/tasksrun.sock).
std::string client_control_socket(const std::string& option, const std::string& config_path);

}  // namespace tasksrun

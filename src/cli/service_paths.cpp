#include "cli/service_paths.hpp"

#include <cstdlib>

namespace tasksrun {
namespace {

// systemd sets these to a colon-separated list when a unit names several directories.
std::optional<std::string> first_directory(const char* variable) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') return std::nullopt;
    const std::string list = value;
    return list.substr(0, list.find(':'));
}

}  // namespace

std::optional<std::string> state_directory(const Config& config) {
    if (config.settings.state_dir) return config.settings.state_dir;
    return first_directory("STATE_DIRECTORY");
}

std::optional<std::string> daemon_control_socket(const std::string& option) {
    if (!option.empty()) return option;
    if (auto runtime = first_directory("RUNTIME_DIRECTORY")) return *runtime + "/tasksrun.sock";
    return std::nullopt;
}

std::string client_control_socket(const std::string& option) {
    return daemon_control_socket(option).value_or("/run/tasksrun/tasksrun.sock");
}

}  // namespace tasksrun

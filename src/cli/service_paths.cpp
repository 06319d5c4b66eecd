#include "cli/service_paths.hpp"

#include <cstdlib>
#include <filesystem>

namespace tasksrun {
namespace {

// systemd sets these to a colon-separated list when a unit names several directories.
std::optional<std::string> first_directory(const char* variable) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') return std::nullopt;
    const std::string list = value;
    return list.substr(0, list.find(':'));
}

// The packaged units run /etc/tasksrun/tasks.toml (tasksrun.service) and /etc/tasksrun/NAME.toml
// (tasksrun@NAME.service): "" for the first, NAME for the others, nullopt for other paths.
std::optional<std::string> packaged_instance(const std::string& config_path) {
    const std::filesystem::path path(config_path);
    if (path.parent_path() != "/etc/tasksrun" || path.extension() != ".toml") return std::nullopt;
    const std::string name = path.stem().string();
    return name == "tasks" ? std::string() : name;
}

std::string under(const std::string& base, const std::string& instance) {
    return instance.empty() ? base : base + "/" + instance;
}

}  // namespace

std::optional<std::string> state_directory(const Config& config) {
    if (config.settings.state_dir) return config.settings.state_dir;
    return first_directory("STATE_DIRECTORY");
}

std::optional<std::string> state_directory_to_read(const Config& config) {
    if (auto dir = state_directory(config)) return dir;
    if (auto instance = packaged_instance(config.path))
        return under("/var/lib/tasksrun", *instance);
    return std::nullopt;
}

std::optional<std::string> daemon_control_socket(const std::string& option) {
    if (!option.empty()) return option;
    if (auto runtime = first_directory("RUNTIME_DIRECTORY")) return *runtime + "/tasksrun.sock";
    return std::nullopt;
}

std::string client_control_socket(const std::string& option, const std::string& config_path) {
    if (auto socket = daemon_control_socket(option)) return *socket;
    return under("/run/tasksrun", packaged_instance(config_path).value_or("")) + "/tasksrun.sock";
}

}  // namespace tasksrun

// Where the daemon and the shell commands look for the state and the control socket.
#include "cli/service_paths.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

namespace tasksrun {
namespace {

Config config_at(const std::string& path, std::optional<std::string> state_dir = std::nullopt) {
    Config config;
    config.path = path;
    config.settings.state_dir = std::move(state_dir);
    return config;
}

// The variables systemd sets, unset for the test and restored after it.
struct NoSystemdVariables {
    NoSystemdVariables() {
        for (const char* name : {"STATE_DIRECTORY", "RUNTIME_DIRECTORY"}) {
            if (const char* value = std::getenv(name)) saved.emplace_back(name, value);
            unsetenv(name);
        }
    }
    ~NoSystemdVariables() {
        for (const auto& [name, value] : saved) setenv(name.c_str(), value.c_str(), 1);
    }
    std::vector<std::pair<std::string, std::string>> saved;
};

TEST_CASE("service paths: state_dir, then $STATE_DIRECTORY, then none", "[cli][paths]") {
    NoSystemdVariables clean;
    CHECK(state_directory(config_at("x.toml", "/srv/state")) == "/srv/state");
    CHECK_FALSE(state_directory(config_at("x.toml")).has_value());
    setenv("STATE_DIRECTORY", "/var/lib/tasksrun:/var/lib/other", 1);
    CHECK(state_directory(config_at("x.toml")) == "/var/lib/tasksrun");
    unsetenv("STATE_DIRECTORY");
}

TEST_CASE("service paths: history finds the packaged units' state", "[cli][paths]") {
    NoSystemdVariables clean;
    CHECK(state_directory_to_read(config_at("/etc/tasksrun/tasks.toml")) == "/var/lib/tasksrun");
    CHECK(state_directory_to_read(config_at("/etc/tasksrun/backups.toml")) ==
          "/var/lib/tasksrun/backups");
    CHECK_FALSE(state_directory_to_read(config_at("/home/me/tasks.toml")).has_value());
    CHECK(state_directory_to_read(config_at("/etc/tasksrun/tasks.toml", "/srv/s")) == "/srv/s");
}

TEST_CASE("service paths: the control socket of the daemon and of ctl", "[cli][paths]") {
    NoSystemdVariables clean;
    CHECK_FALSE(daemon_control_socket("").has_value());
    CHECK(daemon_control_socket("/tmp/s.sock") == "/tmp/s.sock");
    CHECK(client_control_socket("", "/etc/tasksrun/tasks.toml") == "/run/tasksrun/tasksrun.sock");
    CHECK(client_control_socket("", "/etc/tasksrun/backups.toml") ==
          "/run/tasksrun/backups/tasksrun.sock");
    CHECK(client_control_socket("", "config/tasks.toml") == "/run/tasksrun/tasksrun.sock");
    setenv("RUNTIME_DIRECTORY", "/run/tasksrun/x", 1);
    CHECK(daemon_control_socket("") == "/run/tasksrun/x/tasksrun.sock");
    CHECK(client_control_socket("", "/etc/tasksrun/backups.toml") ==
          "/run/tasksrun/x/tasksrun.sock");
    CHECK(client_control_socket("/tmp/s.sock", "") == "/tmp/s.sock");
    unsetenv("RUNTIME_DIRECTORY");
}

}  // namespace
}  // namespace tasksrun

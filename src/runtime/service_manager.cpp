#include "runtime/service_manager.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdlib>
#include <string>

namespace tasksrun::service_manager {
namespace {

void notify(const std::string& state) {
    sd_notify(0, state.c_str());
}

}  // namespace

bool present() {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    return socket != nullptr && *socket != '\0';
}

void ready(std::string_view status) {
    notify("READY=1\nSTATUS=" + std::string(status));
}

void reloading() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long long usec = now.tv_sec * 1'000'000LL + now.tv_nsec / 1000;
    notify("RELOADING=1\nSTATUS=reloading the config\nMONOTONIC_USEC=" + std::to_string(usec));
}

void stopping() {
    notify("STOPPING=1\nSTATUS=stopping");
}

void status(std::string_view status) {
    notify("STATUS=" + std::string(status));
}

}  // namespace tasksrun::service_manager

#pragma once
// Tells systemd where the daemon is (Type=notify): ready, reloading, stopping, and a one-line
// status that `systemctl status` shows. Without $NOTIFY_SOCKET each call does nothing.
#include <string_view>

namespace tasksrun::service_manager {

// Whether a service manager listens ($NOTIFY_SOCKET is set).
bool present();

void ready(std::string_view status);
// Type=notify-reload wants the monotonic time with RELOADING=1; plain Type=notify ignores it.
void reloading();
void stopping();
void status(std::string_view status);

}  // namespace tasksrun::service_manager

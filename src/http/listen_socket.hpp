#pragma once
// The listening socket of the HTTP listener, opened here rather than by libmicrohttpd so that a
// failure says why ("Address already in use") and a Unix socket gets the treatment of the
// control socket: a stale one left by a dead daemon is replaced, a live one is an error.
#include <expected>
#include <string>

#include "config/listen_address.hpp"

namespace tasksrun {

struct ListenSocket {
    int fd = -1;        // non-blocking, close-on-exec, listening
    std::string where;  // as bound: the port the kernel chose when 0 was asked for
};

// A Unix socket is created mode 0666: like a loopback port, it is open to local users, and its
// directory's permissions decide who reaches it.
std::expected<ListenSocket, std::string> open_listen_socket(const ListenAddress& address);

}  // namespace tasksrun

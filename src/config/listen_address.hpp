#pragma once
// Where the HTTP listener binds ([tasksrun] http, SPEC 13): "127.0.0.1:9464", "[::1]:9464",
// "localhost:9464" (127.0.0.1), or the absolute path of a Unix socket. Parsing only: nothing is
// resolved (no DNS at load time) and nothing is bound.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tasksrun {

struct ListenAddress {
    enum class Family { ipv4, ipv6, unix_socket };
    Family family = Family::ipv4;
    std::string host;        // a numeric address ("127.0.0.1", "::1"), or the socket's path
    std::uint16_t port = 0;  // 0: any free port (the listener logs which)

    // Reachable from this machine only: 127.0.0.0/8, ::1, or a Unix socket.
    bool loopback() const;
    // "127.0.0.1:9464", "[::1]:9464", "/run/tasksrun/http.sock".
    std::string describe() const;
    bool operator==(const ListenAddress&) const = default;
};

// A message saying what is wrong and what is accepted, when `text` is none of the forms above.
std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text);

}  // namespace tasksrun

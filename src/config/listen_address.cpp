#include "config/listen_address.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>

namespace tasksrun {
namespace {

constexpr std::string_view kForms =
    "expected \"127.0.0.1:9464\", \"[::1]:9464\", \"localhost:9464\" or an absolute Unix socket "
    "path";

std::expected<std::uint16_t, std::string> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value > 65535)
        return std::unexpected("the port \"" + std::string(text) +
                               "\" is not a number from 0 to 65535");
    return static_cast<std::uint16_t>(value);
}

}  // namespace

bool ListenAddress::loopback() const {
    switch (family) {
        case Family::unix_socket:
            return true;
        case Family::ipv6: {
            in6_addr address{};
            return inet_pton(AF_INET6, host.c_str(), &address) == 1 &&
                   IN6_IS_ADDR_LOOPBACK(&address);
        }
        case Family::ipv4:
            break;
    }
    in_addr address{};
    inet_pton(AF_INET, host.c_str(), &address);
    return (ntohl(address.s_addr) >> 24) == 127;
}

std::string ListenAddress::describe() const {
    switch (family) {
        case Family::unix_socket:
            return host;
        case Family::ipv6:
            return "[" + host + "]:" + std::to_string(port);
        case Family::ipv4:
            break;
    }
    return host + ":" + std::to_string(port);
}

std::expected<ListenAddress, std::string> parse_listen_address(std::string_view text) {
    if (text.empty()) return std::unexpected("the address is empty; " + std::string(kForms));
    if (text.front() == '/') {
        if (text.size() >= sizeof(sockaddr_un::sun_path))
            return std::unexpected("the Unix socket path is longer than " +
                                   std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
        return ListenAddress{ListenAddress::Family::unix_socket, std::string(text), 0};
    }
    if (text.starts_with("./") || text.starts_with("../") || text.ends_with(".sock"))
        return std::unexpected("a Unix socket path must be absolute (start with /)");
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
        return std::unexpected("\"" + std::string(text) + "\" has no port; " + std::string(kForms));
    auto port = parse_port(text.substr(colon + 1));
    if (!port) return std::unexpected(port.error());
    std::string_view host = text.substr(0, colon);
    ListenAddress address;
    address.port = *port;
    if (host.starts_with('[') && host.ends_with(']')) {
        address.family = ListenAddress::Family::ipv6;
        address.host = std::string(host.substr(1, host.size() - 2));
        in6_addr parsed{};
        if (inet_pton(AF_INET6, address.host.c_str(), &parsed) != 1)
            return std::unexpected("\"" + address.host + "\" is not an IPv6 address");
        return address;
    }
    if (host.find(':') != std::string_view::npos)
        return std::unexpected("write an IPv6 address in brackets, as \"[::1]:9464\"");
    address.host = host == "localhost" ? "127.0.0.1" : std::string(host);
    in_addr parsed{};
    if (inet_pton(AF_INET, address.host.c_str(), &parsed) != 1)
        return std::unexpected("\"" + std::string(host) +
                               "\" is not an IPv4 address; the listener takes numeric addresses "
                               "(127.0.0.1, [::1]) or localhost, never a name to resolve");
    return address;
}

}  // namespace tasksrun

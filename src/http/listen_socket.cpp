#include "http/listen_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace tasksrun {
namespace {

constexpr int kBacklog = 64;

std::string failure(const ListenAddress& address, const char* what) {
    return "http: cannot " + std::string(what) + " " + address.describe() + ": " +
           std::strerror(errno);
}

// Closes the descriptor unless released: every early return of a failed setup closes it.
class OwnedFd {
  public:
    explicit OwnedFd(int fd) : fd_(fd) {}
    ~OwnedFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    OwnedFd(const OwnedFd&) = delete;
    OwnedFd& operator=(const OwnedFd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

std::expected<ListenSocket, std::string> listen_unix(const ListenAddress& address) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, address.host.c_str(), address.host.size() + 1);
    const auto* generic = reinterpret_cast<const sockaddr*>(&un);
    struct stat existing {};
    if (lstat(address.host.c_str(), &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode))
            return std::unexpected("http: " + address.host + " exists and is not a socket");
        OwnedFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (probe.get() >= 0 && connect(probe.get(), generic, sizeof un) == 0)
            return std::unexpected("http: another process is listening on " + address.host);
        ::unlink(address.host.c_str());  // left by a daemon that died
    }
    OwnedFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return std::unexpected(failure(address, "create a socket for"));
    const mode_t previous = umask(0111);
    const int bound = bind(fd.get(), generic, sizeof un);
    umask(previous);
    if (bound != 0) return std::unexpected(failure(address, "bind"));
    if (::listen(fd.get(), kBacklog) != 0) return std::unexpected(failure(address, "listen on"));
    return ListenSocket{fd.release(), address.host};
}

std::expected<ListenSocket, std::string> listen_inet(const ListenAddress& address) {
    const bool v6 = address.family == ListenAddress::Family::ipv6;
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
        auto& in6 = reinterpret_cast<sockaddr_in6&>(storage);
        in6.sin6_family = AF_INET6;
        in6.sin6_port = htons(address.port);
        inet_pton(AF_INET6, address.host.c_str(), &in6.sin6_addr);
        length = sizeof in6;
    } else {
        auto& in4 = reinterpret_cast<sockaddr_in&>(storage);
        in4.sin_family = AF_INET;
        in4.sin_port = htons(address.port);
        inet_pton(AF_INET, address.host.c_str(), &in4.sin_addr);
        length = sizeof in4;
    }
    OwnedFd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) return std::unexpected(failure(address, "create a socket for"));
    const int on = 1;
    // A restart must not wait for the previous daemon's connections to leave TIME_WAIT.
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    // [::]:PORT means IPv6 only; 0.0.0.0 is written when IPv4 is meant too.
    if (v6) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) != 0)
        return std::unexpected(failure(address, "bind"));
    if (::listen(fd.get(), kBacklog) != 0) return std::unexpected(failure(address, "listen on"));
    ListenAddress bound = address;
    length = sizeof storage;
    if (getsockname(fd.get(), reinterpret_cast<sockaddr*>(&storage), &length) == 0) {
        bound.port = ntohs(v6 ? reinterpret_cast<sockaddr_in6&>(storage).sin6_port
                              : reinterpret_cast<sockaddr_in&>(storage).sin_port);
    }
    return ListenSocket{fd.release(), bound.describe()};
}

}  // namespace

std::expected<ListenSocket, std::string> open_listen_socket(const ListenAddress& address) {
    return address.family == ListenAddress::Family::unix_socket ? listen_unix(address)
                                                                : listen_inet(address);
}

}  // namespace tasksrun

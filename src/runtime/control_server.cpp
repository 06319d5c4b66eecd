#include "runtime/control_server.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tasksrun {
namespace {

// A request larger than this is not one this daemon sends replies to; the client is cut off.
constexpr std::size_t kMaxRequest = 64 * 1024;
constexpr std::size_t kMaxConnections = 64;

std::expected<sockaddr_un, std::string> socket_address(const std::string& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path)
        return std::unexpected("control socket path \"" + path + "\" is empty or too long");
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    return address;
}

std::string errno_text(const std::string& what) {
    return what + ": " + std::strerror(errno);
}

// True when a daemon accepts connections at `address`.
bool someone_listens(const sockaddr_un& address) {
    const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) return false;
    const bool live =
        connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    ::close(probe);
    return live;
}

}  // namespace

nlohmann::json control_error(std::string message) {
    return {{"ok", false}, {"error", std::move(message)}};
}

std::expected<std::unique_ptr<ControlServer>, std::string> ControlServer::listen(EventLoop& events,
                                                                                 std::string path,
                                                                                 Handler handler) {
    auto address = socket_address(path);
    if (!address) return std::unexpected(address.error());
    struct stat existing {};
    if (lstat(path.c_str(), &existing) == 0) {
        if (!S_ISSOCK(existing.st_mode))
            return std::unexpected("control socket path " + path + " exists and is not a socket");
        if (someone_listens(*address))
            return std::unexpected("another tasksrun is listening on " + path);
        ::unlink(path.c_str());  // left by a daemon that died
    }
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(errno_text("control socket"));
    // Created 0600 from the start: there is no moment at which others could connect.
    const mode_t previous = umask(0177);
    const int bound = bind(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address);
    umask(previous);
    if (bound != 0 || ::listen(fd, 16) != 0) {
        std::string message = errno_text("control socket " + path);
        ::close(fd);
        return std::unexpected(std::move(message));
    }
    return std::unique_ptr<ControlServer>(
        new ControlServer(events, std::move(path), fd, std::move(handler)));
}

ControlServer::ControlServer(EventLoop& events, std::string path, int fd, Handler handler)
    : events_(events), path_(std::move(path)), listen_fd_(fd), handler_(std::move(handler)) {
    accept_source_ = events_.io(listen_fd_, EPOLLIN, [this](std::uint32_t) { accept_clients(); });
}

ControlServer::~ControlServer() {
    for (auto& [fd, connection] : connections_) {
        connection.io.reset();
        ::close(fd);
    }
    accept_source_.reset();
    ::close(listen_fd_);
    ::unlink(path_.c_str());
}

void ControlServer::accept_clients() {
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or a client that gave up: nothing to do either way
        if (connections_.size() >= kMaxConnections) {
            ::close(fd);
            continue;
        }
        Connection& connection = connections_[fd];
        connection.fd = fd;
        connection.io = events_.io(fd, EPOLLIN, [this, fd](std::uint32_t revents) {
            if ((revents & EPOLLOUT) != 0) on_writable(fd);
            if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) on_readable(fd);
        });
    }
}

void ControlServer::on_readable(int fd) {
    auto it = connections_.find(fd);
    if (it == connections_.end() || it->second.fd < 0) return;
    Connection& connection = it->second;
    char buffer[16384];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n > 0) {
            connection.in.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        close_later(fd);  // end of file or a broken connection
        return;
    }
    std::size_t start = 0;
    for (std::size_t end; (end = connection.in.find('\n', start)) != std::string::npos;
         start = end + 1) {
        answer(connection, std::string_view(connection.in).substr(start, end - start));
    }
    connection.in.erase(0, start);
    if (connection.in.size() > kMaxRequest) {
        send(connection, control_error("request longer than 64 KiB"));
        close_later(fd);
    }
}

void ControlServer::answer(Connection& connection, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return;
    nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
        send(connection, control_error("a request is one JSON object per line, e.g. "
                                       "{\"command\":\"status\"}"));
        return;
    }
    try {
        send(connection, handler_(request));
    } catch (const std::exception& error) {
        send(connection, control_error(error.what()));
    }
}

void ControlServer::send(Connection& connection, const nlohmann::json& reply) {
    // Task names and messages may hold bytes that are not UTF-8; replace them, never fail.
    connection.out += reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    connection.out += '\n';
    flush(connection);
}

void ControlServer::flush(Connection& connection) {
    while (!connection.out.empty()) {
        const ssize_t n =
            ::send(connection.fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            connection.out.erase(0, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            connection.io.set_io_events(EPOLLIN | EPOLLOUT);
            return;
        }
        close_later(connection.fd);
        return;
    }
    if (connection.io) connection.io.set_io_events(EPOLLIN);
}

void ControlServer::on_writable(int fd) {
    auto it = connections_.find(fd);
    if (it != connections_.end() && it->second.fd >= 0) flush(it->second);
}

void ControlServer::close_later(int fd) {
    auto it = connections_.find(fd);
    if (it == connections_.end() || it->second.fd < 0) return;
    it->second.fd = -1;
    it->second.io.disable();
    closing_.push_back(fd);
    if (!close_sweep_) {
        close_sweep_ = events_.defer([this] {
            for (const int closed : closing_) {
                connections_.erase(closed);
                ::close(closed);
            }
            closing_.clear();
            close_sweep_.reset();
        });
    }
}

std::expected<nlohmann::json, std::string> control_request(const std::string& socket_path,
                                                           const nlohmann::json& request) {
    auto address = socket_address(socket_path);
    if (!address) return std::unexpected(address.error());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(errno_text("socket"));
    if (connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
        std::string message = errno_text("cannot reach a tasksrun daemon at " + socket_path) +
                              " (is it running? --socket, or $RUNTIME_DIRECTORY, names the socket)";
        ::close(fd);
        return std::unexpected(std::move(message));
    }
    const std::string line = request.dump() + "\n";
    for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            std::string message = errno_text("writing to " + socket_path);
            ::close(fd);
            return std::unexpected(std::move(message));
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buffer[65536];
    while (reply.find('\n') == std::string::npos) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const std::size_t end = reply.find('\n');
    if (end == std::string::npos)
        return std::unexpected("the daemon at " + socket_path + " closed without answering");
    nlohmann::json parsed = nlohmann::json::parse(reply.substr(0, end), nullptr, false);
    if (parsed.is_discarded()) return std::unexpected("the daemon's answer is not JSON");
    return parsed;
}

}  // namespace tasksrun

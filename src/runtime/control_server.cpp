#include "runtime/control_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "util/duration.hpp"

namespace tasksrun {
namespace {

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

Duration ControlServer::now() const {
    // The loop's cached reading of its own turn, on the clock its elapsed timers use.
    std::uint64_t usec = 0;
    sd_event_now(events_.raw(), CLOCK_BOOTTIME, &usec);
    return Duration{static_cast<Duration::rep>(usec)};
}

void ControlServer::accept_clients() {
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;  // EAGAIN, or a client that gave up: nothing to do either way
        if (connections_.size() - closing_.size() >= kMaxConnections) evict_longest_idle();
        Connection& connection = connections_[fd];
        connection.fd = fd;
        connection.last_activity = now();
        connection.io =
            events_.io(fd, EPOLLIN, [this, fd](std::uint32_t revents) { on_io(fd, revents); });
    }
    arm_deadline_sweep();
}

void ControlServer::evict_longest_idle() {
    Connection* idlest = nullptr;
    for (auto& [fd, connection] : connections_) {
        if (connection.fd >= 0 &&
            (idlest == nullptr || connection.last_activity < idlest->last_activity))
            idlest = &connection;
    }
    if (idlest != nullptr) {
        refuse(*idlest, "closed for a new connection: " + std::to_string(kMaxConnections) +
                            " are open and this one was idle longest");
    }
}

void ControlServer::on_io(int fd, std::uint32_t revents) {
    auto it = connections_.find(fd);
    if (it == connections_.end() || it->second.fd < 0) return;
    Connection& connection = it->second;
    if ((revents & EPOLLIN) != 0) {
        read_some(connection);
    } else if ((revents & (EPOLLHUP | EPOLLERR)) != 0) {
        close_later(fd);  // gone while we were not reading: nobody is left to answer
    }
    if (connection.fd >= 0) serve(connection);
}

void ControlServer::read_some(Connection& connection) {
    char buffer[16384];
    // A client that writes as fast as we read must not keep the loop here.
    for (std::size_t taken = 0; taken < kReadPerWake;) {
        const ssize_t n = ::read(connection.fd, buffer, sizeof buffer);
        if (n > 0) {
            connection.in.append(buffer, static_cast<std::size_t>(n));
            connection.last_activity = now();
            taken += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return;
        if (n == 0) {
            connection.peer_done = true;  // answer what came, then close
        } else {
            close_later(connection.fd);  // a broken connection
        }
        return;
    }
}

void ControlServer::serve(Connection& connection) {
    answer_waiting(connection);
    if (connection.fd < 0) return;
    write_out(connection);
    if (connection.fd < 0) return;
    if (connection.out.size() > kCloseAt) {
        close_later(connection.fd);
        return;
    }
    const bool waiting = connection.in.find('\n') != std::string::npos;
    if (connection.peer_done && connection.out.empty() && !waiting) {
        close_later(connection.fd);
        return;
    }
    // Requests left unanswered wait for the socket to take more: when it can, the next wake
    // answers the next few. Meanwhile nothing more is read.
    std::uint32_t events = connection.out.empty() && !waiting ? 0U : std::uint32_t{EPOLLOUT};
    if (!connection.peer_done && !waiting && connection.out.size() <= kPauseReadingAt)
        events |= EPOLLIN;
    connection.io.set_io_events(events);
    arm_deadline_sweep();
}

void ControlServer::answer_waiting(Connection& connection) {
    std::size_t start = 0;
    std::size_t answered = 0;
    for (std::size_t end; answered < kAnswersPerWake && connection.out.size() <= kPauseReadingAt &&
                          (end = connection.in.find('\n', start)) != std::string::npos;
         start = end + 1, ++answered) {
        answer(connection, std::string_view(connection.in).substr(start, end - start));
    }
    connection.in.erase(0, start);
    if (start > 0) connection.request_started.reset();
    if (connection.in.find('\n') != std::string::npos || connection.in.empty()) {
        connection.request_started.reset();
        return;
    }
    if (connection.in.size() > kMaxRequest) {
        refuse(connection, "request longer than 64 KiB");
        return;
    }
    if (!connection.request_started) connection.request_started = now();
}

void ControlServer::answer(Connection& connection, std::string_view line) {
    if (auto reply = reply_to_line(line, handler_)) send(connection, *reply);
}

std::optional<nlohmann::json> reply_to_line(std::string_view line,
                                            const ControlServer::Handler& handler) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) return std::nullopt;
    nlohmann::json request = nlohmann::json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object()) {
        return control_error(
            "a request is one JSON object per line, e.g. "
            "{\"command\":\"status\"}");
    }
    try {
        return handler(request);
    } catch (const std::exception& error) {
        return control_error(error.what());
    }
}

void ControlServer::send(Connection& connection, const nlohmann::json& reply) {
    // Task names and messages may hold bytes that are not UTF-8; replace them, never fail.
    connection.out += reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    connection.out += '\n';
}

void ControlServer::write_out(Connection& connection) {
    std::size_t sent = 0;
    while (sent < connection.out.size()) {
        const ssize_t n = ::send(connection.fd, connection.out.data() + sent,
                                 connection.out.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        close_later(connection.fd);
        return;
    }
    if (sent > 0) {
        connection.out.erase(0, sent);
        connection.last_activity = now();
    }
}

void ControlServer::refuse(Connection& connection, std::string message) {
    send(connection, control_error(std::move(message)));
    write_out(connection);
    close_later(connection.fd);
}

void ControlServer::arm_deadline_sweep() {
    std::optional<Duration> earliest;
    for (const auto& [fd, connection] : connections_) {
        if (connection.fd < 0) continue;
        Duration due = connection.last_activity + kIdleTimeout;
        if (connection.request_started)
            due = std::min(due, *connection.request_started + kRequestDeadline);
        if (!earliest || due < *earliest) earliest = due;
    }
    if (!earliest) {
        deadline_sweep_.reset();
        return;
    }
    // An armed sweep that comes first re-arms itself for whatever is due after it.
    if (deadline_sweep_ && deadline_sweep_at_ <= *earliest) return;
    deadline_sweep_at_ = *earliest;
    deadline_sweep_ = events_.elapsed_timer(*earliest - now(), [this] { close_expired(); });
}

void ControlServer::close_expired() {
    const Duration at = now();
    for (auto& [fd, connection] : connections_) {
        if (connection.fd < 0) continue;
        if (connection.request_started && at - *connection.request_started >= kRequestDeadline) {
            refuse(connection, "request not completed within " + format_duration(kRequestDeadline));
        } else if (at - connection.last_activity >= kIdleTimeout) {
            close_later(fd);
        }
    }
    deadline_sweep_.reset();
    arm_deadline_sweep();
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

namespace {

// The time left until `deadline`, for poll(2): at least 0, rounded up to a millisecond.
int poll_timeout(std::chrono::steady_clock::time_point deadline) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(0, left.count()));
}

// Waits until `fd` is ready for `events`; false at the deadline.
bool wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        pollfd entry{.fd = fd, .events = events, .revents = 0};
        const int ready = ::poll(&entry, 1, poll_timeout(deadline));
        if (ready > 0) return true;
        if (ready == 0) return false;
        if (errno != EINTR) return true;  // let the read or write report the problem
    }
}

}  // namespace

std::expected<nlohmann::json, std::string> control_request(const std::string& socket_path,
                                                           const nlohmann::json& request,
                                                           Duration timeout) {
    auto address = socket_address(socket_path);
    if (!address) return std::unexpected(address.error());
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::string no_answer = "no answer from the daemon at " + socket_path + " within " +
                                  format_duration(timeout) + " (it may be overloaded or stuck)";
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return std::unexpected(errno_text("socket"));
    const auto fail = [fd](std::string message) {
        ::close(fd);
        return std::unexpected(std::move(message));
    };
    // A daemon whose backlog is full makes connect(2) wait: bounded by the send timeout.
    const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    const timeval send_timeout{.tv_sec = static_cast<time_t>(micros / 1'000'000),
                               .tv_usec = static_cast<suseconds_t>(micros % 1'000'000)};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&*address), sizeof *address) != 0) {
        if (errno == EAGAIN || errno == EINPROGRESS) return fail(no_answer);
        return fail(errno_text("cannot reach a tasksrun daemon at " + socket_path) +
                    " (is it running? --socket, or $RUNTIME_DIRECTORY, names the socket)");
    }
    const int flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    const std::string line = request.dump() + "\n";
    for (std::size_t sent = 0; sent < line.size();) {
        const ssize_t n = ::send(fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            if (!wait_for(fd, POLLOUT, deadline)) return fail(no_answer);
            continue;
        }
        if (n <= 0) return fail(errno_text("writing to " + socket_path));
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buffer[65536];
    while (reply.find('\n') == std::string::npos) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            if (!wait_for(fd, POLLIN, deadline)) return fail(no_answer);
            continue;
        }
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

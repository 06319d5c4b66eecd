#pragma once
// The control socket (SPEC 6): a Unix stream socket, mode 0600, that takes one JSON request per
// line and answers each with one JSON line. A malformed request gets {"ok":false,"error":...}
// and the connection stays usable; nothing a client sends can disturb the daemon.
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "runtime/event_loop.hpp"

namespace tasksrun {

class ControlServer {
  public:
    // Given a request object, returns the reply object. May throw; the client then gets an
    // error reply with the exception's message.
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

    // Listens at `path`. A socket left by a dead daemon is replaced; one that a live daemon
    // answers on, or a path that is not a socket, is an error.
    static std::expected<std::unique_ptr<ControlServer>, std::string> listen(EventLoop& events,
                                                                             std::string path,
                                                                             Handler handler);
    ~ControlServer();  // closes every connection and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    const std::string& path() const { return path_; }

  private:
    struct Connection {
        int fd = -1;
        std::string in;
        std::string out;
        EventSource io;
    };

    ControlServer(EventLoop& events, std::string path, int fd, Handler handler);
    void accept_clients();
    void on_readable(int fd);
    void on_writable(int fd);
    void answer(Connection& connection, std::string_view line);
    void send(Connection& connection, const nlohmann::json& reply);
    void flush(Connection& connection);
    // Closed on the next loop turn: the I/O callback that decides it is still running.
    void close_later(int fd);

    EventLoop& events_;
    const std::string path_;
    const int listen_fd_;
    const Handler handler_;
    EventSource accept_source_;
    std::map<int, Connection> connections_;
    std::vector<int> closing_;
    EventSource close_sweep_;
};

// The reply to a request that failed: {"ok":false,"error":message}.
nlohmann::json control_error(std::string message);

// Sends one request to the daemon listening at `socket_path` and returns its reply (for
// `tasksrun ctl`); a message when it cannot be reached or does not answer.
std::expected<nlohmann::json, std::string> control_request(const std::string& socket_path,
                                                           const nlohmann::json& request);

}  // namespace tasksrun

#pragma once
// The control socket (SPEC 6): a Unix stream socket, mode 0600, that takes one JSON request per
// line and answers each with one JSON line. A malformed request gets {"ok":false,"error":...}
// and the connection stays usable; nothing a client sends can disturb the daemon (SPEC 11):
// - back-pressure: a connection with more than kPauseReadingAt of replies its client has not
//   read is not read (nor answered) until they drain below it; past kCloseAt it is closed;
// - a request line longer than kMaxRequest, or not complete kRequestDeadline after its first
//   byte, gets an error and the connection is closed;
// - a connection that moves no byte either way for kIdleTimeout is closed;
// - at most kMaxConnections at once: a new one closes the longest-idle one;
// - at most kReadPerWake bytes are read from, and kAnswersPerWake requests answered on, one
//   connection per wake of the loop.
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "event/event_loop.hpp"

namespace tasksrun {

class ControlServer {
  public:
    static constexpr std::size_t kMaxRequest = 64 * 1024;
    static constexpr std::size_t kPauseReadingAt = 1024 * 1024;
    static constexpr std::size_t kCloseAt = 8 * 1024 * 1024;
    static constexpr std::size_t kReadPerWake = 64 * 1024;
    static constexpr std::size_t kAnswersPerWake = 64;
    static constexpr std::size_t kMaxConnections = 64;
    static constexpr Duration kRequestDeadline = std::chrono::seconds{5};
    static constexpr Duration kIdleTimeout = std::chrono::seconds{60};

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
        int fd = -1;                              // -1 once closing
        std::string in;                           // received, not yet answered
        std::string out;                          // replies not yet sent
        Duration last_activity{0};                // a byte moved either way (loop clock)
        std::optional<Duration> request_started;  // the first byte of an unfinished line
        bool peer_done = false;                   // the client sent end of file
        EventSource io;
    };

    ControlServer(EventLoop& events, std::string path, int fd, Handler handler);
    void accept_clients();
    void evict_longest_idle();
    void on_io(int fd, std::uint32_t revents);
    void read_some(Connection& connection);
    // Answers, writes and re-decides what to wait for, after anything happened to `connection`.
    void serve(Connection& connection);
    void answer_waiting(Connection& connection);
    void answer(Connection& connection, std::string_view line);
    void send(Connection& connection, const nlohmann::json& reply);
    void write_out(Connection& connection);
    // Sends `message` as an error reply if the socket takes it now, then closes.
    void refuse(Connection& connection, std::string message);
    // Closed on the next loop turn: the I/O callback that decides it is still running.
    void close_later(int fd);
    Duration now() const;
    void arm_deadline_sweep();
    void close_expired();

    EventLoop& events_;
    const std::string path_;
    const int listen_fd_;
    const Handler handler_;
    EventSource accept_source_;
    std::map<int, Connection> connections_;
    std::vector<int> closing_;
    EventSource close_sweep_;
    EventSource deadline_sweep_;
    Duration deadline_sweep_at_{0};
};

// The reply to one request line (without its '\n'; a trailing '\r' is ignored): the handler's
// reply, or an error reply for a line that is not a JSON object or a handler that throws.
// nullopt for an empty line, which gets no reply.
std::optional<nlohmann::json> reply_to_line(std::string_view line,
                                            const ControlServer::Handler& handler);

// The reply to a request that failed: {"ok":false,"error":message}.
nlohmann::json control_error(std::string message);

// How long `tasksrun ctl` waits for the daemon: connecting, sending and the reply together.
inline constexpr Duration kControlRequestTimeout = std::chrono::seconds{10};

// Sends one request to the daemon listening at `socket_path` and returns its reply (for
// `tasksrun ctl`); a message when it cannot be reached or does not answer within `timeout`.
std::expected<nlohmann::json, std::string> control_request(
    const std::string& socket_path, const nlohmann::json& request,
    Duration timeout = kControlRequestTimeout);

}  // namespace tasksrun

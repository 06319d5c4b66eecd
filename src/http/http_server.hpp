#pragma once
// A small read-only HTTP/1.1 server: libmicrohttpd in its external epoll mode, driven by the
// daemon's sd-event loop (its epoll descriptor as an I/O source, its timeouts as a timer), so it
// needs no thread and answers from the loop itself. Only GET and HEAD are served; anything else
// gets 405. Connections are limited in number and closed when idle, so that slow or hostile
// clients cannot pile up.
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/listen_address.hpp"
#include "event/event_loop.hpp"
#include "log/logger.hpp"

struct MHD_Daemon;
struct MHD_Connection;

namespace tasksrun {

struct HttpAnswer {
    unsigned status = 200;
    std::string_view content_type = "text/plain; charset=utf-8";
    std::string body;
};

class HttpServer {
  public:
    // Answers a GET or HEAD of `path` (without the query string), on the event loop's thread.
    // An exception becomes a 500.
    using Handler = std::function<HttpAnswer(std::string_view path)>;

    static constexpr unsigned kMaxConnections = 64;
    static constexpr unsigned kIdleTimeoutSeconds = 10;

    // Listens at `address`; a message when the socket cannot be opened or the server not started.
    static std::expected<std::unique_ptr<HttpServer>, std::string> listen(
        EventLoop& events, Logger& logger, const ListenAddress& address, Handler handler);
    // Closes every connection and the socket; removes a Unix socket's file.
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Where it listens, with the port the kernel chose when 0 was asked for.
    const std::string& where() const { return where_; }

  private:
    friend struct HttpServerCallbacks;  // libmicrohttpd's C callbacks, in the .cpp

    HttpServer(EventLoop& events, Logger& logger, Handler handler, std::string where);
    bool start(int listen_fd, const ListenAddress& address);
    // Lets libmicrohttpd do what is due, then arms the timer for its next timeout.
    void run();
    bool answer(MHD_Connection* connection, std::string_view method, std::string_view path);

    EventLoop& events_;
    Logger& logger_;
    const Handler handler_;
    const std::string where_;
    std::string unix_path_;  // empty for TCP
    MHD_Daemon* daemon_ = nullptr;
    EventSource io_;
    EventSource timer_;
};

}  // namespace tasksrun

#include "http/http_server.hpp"

#include <malloc.h>
#include <microhttpd.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>

#include "http/listen_socket.hpp"

namespace tasksrun {
namespace {

// Every answer: never cached, never sniffed as another type, and a page that may load nothing
// from anywhere (its own inline style and SVG only).
constexpr std::pair<const char*, const char*> kHeaders[] = {
    {"Cache-Control", "no-store"},
    {"X-Content-Type-Options", "nosniff"},
    {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"},
    {"Referrer-Policy", "no-referrer"},
};

// Past this size, an answer's memory is handed back to the system once it is sent: after a large
// free, glibc raises its mmap threshold and keeps such blocks, so a daemon scraped every 15 s
// would stay megabytes larger than one that is not.
constexpr std::size_t kTrimAfterBytes = 1024 * 1024;

void free_body(void* owned) noexcept {
    auto* body = static_cast<std::string*>(owned);
    const bool large = body->capacity() >= kTrimAfterBytes;
    delete body;
    if (large) malloc_trim(0);
}

void log_library_message(void* context, const char* format, va_list arguments) noexcept {
    char text[512];
    std::vsnprintf(text, sizeof text, format, arguments);
    std::string_view line(text);
    while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    try {
        static_cast<Logger*>(context)->message(LogLevel::warn, "http: " + std::string(line));
    } catch (...) {
        // Out of memory while logging a library message: the message is lost, nothing else.
    }
}

}  // namespace

struct HttpServerCallbacks {
    static MHD_Result on_request(void* context, MHD_Connection* connection, const char* url,
                                 const char* method, const char*, const char*, size_t* upload_size,
                                 void** request_state) noexcept {
        const std::string_view verb(method);
        const bool readable = verb == MHD_HTTP_METHOD_GET || verb == MHD_HTTP_METHOD_HEAD;
        // libmicrohttpd closes the connection after an answer queued on a request's first call;
        // a GET is answered on the second, once its headers are in, so that clients (Prometheus
        // scraping every 15 s) keep their connection. Other methods are refused at once, body
        // unread, and the connection closed.
        static char seen;
        if (readable && *request_state == nullptr) {
            *request_state = &seen;
            return MHD_YES;
        }
        if (readable && *upload_size != 0) {
            *upload_size = 0;  // a body on a GET is read and ignored
            return MHD_YES;
        }
        try {
            return static_cast<HttpServer*>(context)->answer(connection, method, url) ? MHD_YES
                                                                                      : MHD_NO;
        } catch (...) {
            return MHD_NO;  // libmicrohttpd closes the connection
        }
    }
};

std::expected<std::unique_ptr<HttpServer>, std::string> HttpServer::listen(
    EventLoop& events, Logger& logger, const ListenAddress& address, Handler handler) {
    auto socket = open_listen_socket(address);
    if (!socket) return std::unexpected(socket.error());
    std::unique_ptr<HttpServer> server(
        new HttpServer(events, logger, std::move(handler), socket->where));
    if (!server->start(socket->fd, address))
        return std::unexpected("http: libmicrohttpd could not start on " + socket->where);
    return server;
}

HttpServer::HttpServer(EventLoop& events, Logger& logger, Handler handler, std::string where)
    : events_(events), logger_(logger), handler_(std::move(handler)), where_(std::move(where)) {}

bool HttpServer::start(int listen_fd, const ListenAddress& address) {
    daemon_ = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, nullptr, nullptr, &HttpServerCallbacks::on_request,
        this,
        // First, so that libmicrohttpd's messages about the options go to the log too.
        MHD_OPTION_EXTERNAL_LOGGER, &log_library_message, &logger_,  //
        MHD_OPTION_LISTEN_SOCKET, listen_fd,                         //
        MHD_OPTION_CONNECTION_LIMIT, kMaxConnections,                //
        MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutSeconds, MHD_OPTION_END);
    if (daemon_ == nullptr) {
        ::close(listen_fd);
        return false;
    }
    if (address.family == ListenAddress::Family::unix_socket) unix_path_ = address.host;
    const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_EPOLL_FD);
    io_ = events_.io(info->epoll_fd, EPOLLIN, [this](std::uint32_t) { run(); });
    run();
    return true;
}

HttpServer::~HttpServer() {
    io_.reset();  // before libmicrohttpd closes the descriptor it watches
    timer_.reset();
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);  // closes the listening socket too
    if (!unix_path_.empty()) ::unlink(unix_path_.c_str());
}

void HttpServer::run() {
    MHD_run(daemon_);
    MHD_UNSIGNED_LONG_LONG timeout_ms = 0;
    if (MHD_get_timeout(daemon_, &timeout_ms) != MHD_YES) {
        timer_.reset();
    } else if (timeout_ms == 0) {
        timer_ = events_.defer([this] { run(); });
    } else {
        timer_ = events_.elapsed_timer(std::chrono::milliseconds{timeout_ms}, [this] { run(); });
    }
}

bool HttpServer::answer(MHD_Connection* connection, std::string_view method,
                        std::string_view path) {
    HttpAnswer reply;
    if (method != MHD_HTTP_METHOD_GET && method != MHD_HTTP_METHOD_HEAD) {
        reply = {.status = MHD_HTTP_METHOD_NOT_ALLOWED, .body = "only GET and HEAD\n"};
    } else {
        try {
            reply = handler_(path);
        } catch (const std::exception& error) {
            logger_.message(LogLevel::error, "http: " + std::string(path) + ": " + error.what());
            reply = {.status = MHD_HTTP_INTERNAL_SERVER_ERROR, .body = "internal error\n"};
        }
    }
    // The body is handed over, not copied: /metrics of many tasks is megabytes.
    auto* body = new std::string(std::move(reply.body));
    MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
        body->size(), body->data(), &free_body, body);
    if (response == nullptr) {
        delete body;
        return false;
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                            std::string(reply.content_type).c_str());
    for (const auto& [name, value] : kHeaders) MHD_add_response_header(response, name, value);
    if (reply.status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    const MHD_Result queued = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return queued == MHD_YES;
}

}  // namespace tasksrun

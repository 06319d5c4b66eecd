// The HTTP server on a real event loop and real sockets, with a client on a thread of its own.
#include "http/http_server.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

#include "http/http_client.hpp"
#include "support/temp_dir.hpp"

namespace tasksrun {
namespace {

using test::get;
using test::serve_while;

struct Server {
    EventLoop events;
    Logger logger{LogFormat::text, LogLevel::error};
    std::vector<std::string> paths;  // what the handler was asked for
    std::unique_ptr<HttpServer> server;

    explicit Server(const std::string& address = "127.0.0.1:0") {
        auto started = HttpServer::listen(
            events, logger, parse_listen_address(address).value(), [this](std::string_view path) {
                paths.emplace_back(path);
                if (path == "/boom") throw std::runtime_error("boom");
                return HttpAnswer{.status = 201,
                                  .content_type = "text/x-test",
                                  .body = "body of " + std::string(path)};
            });
        REQUIRE(started.has_value());
        server = std::move(*started);
    }
};

bool has_header(const std::string& response, const std::string& header) {
    return response.find("\r\n" + header + "\r\n") != std::string::npos;
}

TEST_CASE("http server: GET is answered by the handler, with the safety headers", "[http]") {
    Server s;
    std::string response;
    serve_while(s.events, [&] { response = get(s.server->where(), "/metrics?x=1"); });
    CHECK(response.starts_with("HTTP/1.1 201 "));
    CHECK(has_header(response, "Content-Type: text/x-test"));
    CHECK(has_header(response, "Cache-Control: no-store"));
    CHECK(has_header(response, "X-Content-Type-Options: nosniff"));
    CHECK(has_header(response,
                     "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'"));
    CHECK(response.ends_with("\r\n\r\nbody of /metrics"));
    CHECK(s.paths == std::vector<std::string>{"/metrics"});  // without the query
}

TEST_CASE("http server: HEAD has the headers and no body", "[http]") {
    Server s;
    std::string response;
    serve_while(s.events, [&] { response = get(s.server->where(), "/", "HEAD"); });
    CHECK(response.starts_with("HTTP/1.1 201 "));
    CHECK(has_header(response, "Content-Length: 9"));
    CHECK(response.ends_with("\r\n\r\n"));
}

TEST_CASE("http server: it is read-only: other methods get 405 and the handler never runs",
          "[http]") {
    Server s;
    std::string post;
    std::string del;
    serve_while(s.events, [&] {
        post = test::round_trip(s.server->where(),
                                "POST /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                                "Content-Length: 5\r\n\r\nhello");
        del = get(s.server->where(), "/", "DELETE");
    });
    CHECK(post.starts_with("HTTP/1.1 405 "));
    CHECK(has_header(post, "Allow: GET, HEAD"));
    CHECK(del.starts_with("HTTP/1.1 405 "));
    CHECK(s.paths.empty());
}

TEST_CASE("http server: a handler that throws gives a 500 and the server goes on", "[http]") {
    Server s;
    std::string boom;
    std::string after;
    serve_while(s.events, [&] {
        boom = get(s.server->where(), "/boom");
        after = get(s.server->where(), "/after");
    });
    CHECK(boom.starts_with("HTTP/1.1 500 "));
    CHECK(after.starts_with("HTTP/1.1 201 "));
}

TEST_CASE("http server: many requests on one connection and many connections", "[http]") {
    Server s;
    std::vector<std::string> kept_alive;
    std::vector<std::string> separate;
    serve_while(s.events, [&] {
        kept_alive = test::get_kept_alive(s.server->where(), {"/a", "/b", "/c"});
        for (int i = 0; i < 20; ++i)
            separate.push_back(get(s.server->where(), "/" + std::to_string(i)));
    });
    REQUIRE(kept_alive.size() == 3);
    CHECK(kept_alive[0].ends_with("body of /a"));
    CHECK(kept_alive[1].ends_with("body of /b"));
    CHECK(kept_alive[2].ends_with("body of /c"));
    for (int i = 0; i < 20; ++i)
        CHECK(separate[static_cast<std::size_t>(i)].ends_with("body of /" + std::to_string(i)));
}

TEST_CASE("http server: on a Unix socket, whose file goes with the server", "[http]") {
    const test::TempDir dir;
    const std::string path = (dir.path / "http.sock").string();
    {
        Server s(path);
        CHECK(s.server->where() == path);
        std::string response;
        serve_while(s.events, [&] { response = get(path, "/healthz"); });
        CHECK(response.starts_with("HTTP/1.1 201 "));
        CHECK(response.ends_with("body of /healthz"));
        CHECK(std::filesystem::exists(path));
    }
    CHECK_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace tasksrun

// The daemon's endpoints: which answer each path gets, from a source the test sets up; and the
// server itself over a real socket.
#include "http/status_server.hpp"

#include <catch2/catch.hpp>

#include "http/http_client.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

struct FakeSource final : StatusSource {
    bool is_stopping = false;
    mutable std::optional<Instant> asked_at;

    DaemonSnapshot snapshot(bool) const override {
        DaemonSnapshot s{.now = test::at("2025-03-02T12:00:00Z"), .stopping = is_stopping};
        s.tasks.push_back(
            TaskSnapshot{.name = "backup", .state = "waiting", .schedule = "every 1h"});
        return s;
    }
    bool stopping() const override { return is_stopping; }
    PageHistory recent_runs(Instant now) const override {
        asked_at = now;
        return {.unavailable = "test"};
    }
};

TEST_CASE("status endpoints: /metrics in the Prometheus text format", "[http]") {
    MetricsRegistry registry;
    FakeSource source;
    const HttpAnswer answer = status_answer("/metrics", registry, source);
    CHECK(answer.status == 200);
    CHECK(answer.content_type == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(answer.body.find("tasksrun_task_runs_total{task=\"backup\",outcome=\"ok\"} 0\n") !=
          std::string::npos);
}

TEST_CASE("status endpoints: /healthz is 200 while running, 503 once stopping", "[http]") {
    MetricsRegistry registry;
    FakeSource source;
    HttpAnswer answer = status_answer("/healthz", registry, source);
    CHECK(answer.status == 200);
    CHECK(answer.body == "ok\n");
    source.is_stopping = true;
    answer = status_answer("/healthz", registry, source);
    CHECK(answer.status == 503);
    CHECK(answer.body == "stopping\n");
}

TEST_CASE("status endpoints: / is the page, with the timelines up to the snapshot's time",
          "[http]") {
    MetricsRegistry registry;
    FakeSource source;
    for (const char* path : {"/", "/index.html"}) {
        const HttpAnswer answer = status_answer(path, registry, source);
        CHECK(answer.status == 200);
        CHECK(answer.content_type == "text/html; charset=utf-8");
        CHECK(answer.body.find("<h2>backup</h2>") != std::string::npos);
        CHECK(source.asked_at == test::at("2025-03-02T12:00:00Z"));
    }
}

TEST_CASE("status endpoints: anything else is 404", "[http]") {
    MetricsRegistry registry;
    FakeSource source;
    for (const char* path : {"/metrics/", "/favicon.ico", "/../etc/passwd", ""}) {
        INFO(path);
        CHECK(status_answer(path, registry, source).status == 404);
    }
}

TEST_CASE("status server: the endpoints over a real socket", "[http]") {
    EventLoop events;
    Logger logger(LogFormat::text, LogLevel::error);
    MetricsRegistry registry;
    FakeSource source;
    auto server = StatusServer::listen(events, logger, parse_listen_address("127.0.0.1:0").value(),
                                       registry, source);
    REQUIRE(server.has_value());
    std::string health;
    std::string missing;
    test::serve_while(events, [&] {
        health = test::get((*server)->where(), "/healthz");
        missing = test::get((*server)->where(), "/nope");
    });
    CHECK(health.starts_with("HTTP/1.1 200 "));
    CHECK(health.ends_with("\r\n\r\nok\n"));
    CHECK(missing.starts_with("HTTP/1.1 404 "));
}

}  // namespace
}  // namespace tasksrun

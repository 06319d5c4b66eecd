#include "http/status_server.hpp"

#include "observe/metrics_exposition.hpp"
#include "observe/prometheus_text.hpp"

namespace tasksrun {

HttpAnswer status_answer(std::string_view path, const MetricsRegistry& registry,
                         const StatusSource& source) {
    if (path == "/metrics") {
        return {.content_type = kPrometheusContentType,
                .body = write_metrics(registry, source.snapshot(false), TASKSRUN_VERSION)};
    }
    if (path == "/healthz") {
        if (source.stopping()) return {.status = 503, .body = "stopping\n"};
        return {.body = "ok\n"};
    }
    if (path == "/" || path == "/index.html") {
        const DaemonSnapshot snapshot = source.snapshot(true);
        return {.content_type = "text/html; charset=utf-8",
                .body = render_status_page(snapshot, source.recent_runs(snapshot.now),
                                           TASKSRUN_VERSION)};
    }
    return {.status = 404, .body = "not found: this server has /, /metrics and /healthz\n"};
}

std::expected<std::unique_ptr<StatusServer>, std::string> StatusServer::listen(
    EventLoop& events, Logger& logger, const ListenAddress& address,
    const MetricsRegistry& registry, const StatusSource& source) {
    auto server =
        HttpServer::listen(events, logger, address, [&registry, &source](std::string_view path) {
            return status_answer(path, registry, source);
        });
    if (!server) return std::unexpected(server.error());
    return std::unique_ptr<StatusServer>(new StatusServer(std::move(*server)));
}

}  // namespace tasksrun

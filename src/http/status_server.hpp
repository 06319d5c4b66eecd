#pragma once
// The daemon's HTTP endpoints (SPEC 13), read-only:
//   /metrics  the Prometheus text format (observe/metrics_exposition)
//   /healthz  200 "ok" while the daemon runs its config; 503 "stopping" once a stop signal came
//   /         the status page for people (observe/status_page)
// Every answer is produced on the event loop's thread, from the loop itself: a loop that does
// not turn answers nothing, and a client's timeout is what tells it.
#include <expected>
#include <memory>
#include <string>

#include "http/http_server.hpp"
#include "observe/metrics_registry.hpp"
#include "observe/snapshot.hpp"
#include "observe/status_page.hpp"

namespace tasksrun {

// What the endpoints read from the daemon, on the event loop's thread.
class StatusSource {
  public:
    // `for_people`: with each task's schedule described (the page); /metrics needs none.
    virtual DaemonSnapshot snapshot(bool for_people) const = 0;
    virtual bool stopping() const = 0;
    // The timelines of the strip that ends at `now`, from the state database.
    virtual PageHistory recent_runs(Instant now) const = 0;

  protected:
    ~StatusSource() = default;
};

// The answer to a GET of `path`.
HttpAnswer status_answer(std::string_view path, const MetricsRegistry& registry,
                         const StatusSource& source);

class StatusServer {
  public:
    // `registry` and `source` must outlive the server.
    static std::expected<std::unique_ptr<StatusServer>, std::string> listen(
        EventLoop& events, Logger& logger, const ListenAddress& address,
        const MetricsRegistry& registry, const StatusSource& source);

    const std::string& where() const { return server_->where(); }

  private:
    explicit StatusServer(std::unique_ptr<HttpServer> server) : server_(std::move(server)) {}

    std::unique_ptr<HttpServer> server_;
};

}  // namespace tasksrun

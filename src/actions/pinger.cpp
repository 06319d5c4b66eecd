#include "actions/pinger.hpp"

namespace tasksrun {

std::string_view to_string(PingKind kind) {
    switch (kind) {
        case PingKind::start:
            return "start";
        case PingKind::success:
            return "success";
        case PingKind::fail:
            break;
    }
    return "fail";
}

std::string ping_url(std::string_view base, PingKind kind) {
    if (kind == PingKind::success) return std::string(base);
    const std::size_t query = std::min(base.find('?'), base.size());
    std::string_view path = base.substr(0, query);
    while (path.ends_with('/')) path.remove_suffix(1);
    return std::string(path) + (kind == PingKind::start ? "/start" : "/fail") +
           std::string(base.substr(query));
}

Pinger::Pinger(EventLoop& events, Logger& logger) : events_(events), logger_(logger) {}

Pinger::~Pinger() = default;

void Pinger::ping(const ResolvedPing& target, PingKind kind, std::string body, std::string task,
                  Owner owner, std::function<void()> done) {
    HttpRequest request;
    request.method = kind == PingKind::start ? "GET" : "POST";
    request.url = ping_url(target.url, kind);
    request.timeout = kTimeout;
    if (kind != PingKind::start) {
        if (body.size() > kMaxBodyBytes) body.erase(0, body.size() - kMaxBodyBytes);
        request.body = std::move(body);
        request.headers.emplace_back("Content-Type: text/plain; charset=utf-8");
    }
    if (!http_) http_ = std::make_unique<HttpClient>(events_);
    const Id id = next_id_++;
    const std::string shown = target.shown;
    const HttpClient::RequestId request_id =
        http_->send(std::move(request), [this, id, kind, shown, task = std::move(task),
                                         done = std::move(done)](HttpResponse response) {
            in_flight_.erase(id);
            std::string problem;
            if (response.error != CURLE_OK) {
                problem = response.error_message;
            } else if (response.status < 200 || response.status >= 300) {
                problem = "HTTP " + std::to_string(response.status);
            }
            if (!problem.empty()) {
                logger_.message(LogLevel::warn,
                                "health ping (" + std::string(to_string(kind)) + ") to " + shown +
                                    " failed: " + problem + "; the task is not affected",
                                task);
            }
            done();
        });
    in_flight_.emplace(id, InFlight{owner, request_id});
}

void Pinger::cancel_all(Owner owner) {
    std::erase_if(in_flight_, [&](const auto& entry) {
        if (entry.second.owner != owner) return false;
        http_->cancel(entry.second.request);
        return true;
    });
}

}  // namespace tasksrun

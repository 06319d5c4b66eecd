#pragma once
// Health pings in the healthchecks.io protocol (also spoken by Uptime Kuma's and Cronitor's
// compatible endpoints): GET <url>/start when an iteration starts, POST <url> with the output's
// tail on success, POST <url>/fail on an unhandled failure (SPEC 10.2). A ping that fails is
// logged and otherwise ignored: it never fails the task.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "actions/http_client.hpp"
#include "log/logger.hpp"

namespace tasksrun {

// A [pings.NAME] endpoint with its secret URL in hand.
struct ResolvedPing {
    std::string url;    // the secret: never logged
    std::string shown;  // redact_url(url), for messages
};

enum class PingKind { start, success, fail };
std::string_view to_string(PingKind kind);

// The URL of one ping: "/start" or "/fail" goes after the path, before any query string.
std::string ping_url(std::string_view base, PingKind kind);

class Pinger {
  public:
    using Id = std::uint64_t;
    static constexpr Duration kTimeout = std::chrono::seconds{10};
    // Healthchecks.io keeps the first 100 kB of a body; the output's tail is far less.
    static constexpr std::size_t kMaxBodyBytes = 100'000;

    Pinger(EventLoop& events, Logger& logger);
    ~Pinger();
    Pinger(const Pinger&) = delete;
    Pinger& operator=(const Pinger&) = delete;

    // Who sent a ping (a task's runner), so that its pings can be dropped together.
    using Owner = const void*;

    // Sends one ping; `done` is called once, later, from the event loop (unless cancelled),
    // whether or not the ping arrived.
    void ping(const ResolvedPing& target, PingKind kind, std::string body, std::string task,
              Owner owner, std::function<void()> done);
    // Drops the pings `owner` has in flight; their `done` is not called.
    void cancel_all(Owner owner);

  private:
    EventLoop& events_;
    Logger& logger_;
    // Created with the first ping, as the webhook sender's client is: a daemon that pings
    // nothing loads no TLS.
    std::unique_ptr<HttpClient> http_;
    struct InFlight {
        Owner owner;
        HttpClient::RequestId request;
    };
    std::map<Id, InFlight> in_flight_;
    Id next_id_ = 1;
};

}  // namespace tasksrun

#pragma once
// Sends webhook actions: builds the request (templates expanded at send time, Discord's limits
// checked on the result), waits for the webhook's Discord rate-limit bucket, and turns the
// answer into an Outcome with the failure classes of SPEC 4.4.
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actions/action_run.hpp"
#include "actions/discord.hpp"
#include "actions/http_client.hpp"
#include "actions/template.hpp"
#include "config/config.hpp"
#include "log/logger.hpp"
#include "loop/events.hpp"
#include "observe/observer.hpp"

namespace tasksrun {

// A webhook endpoint with its secret URL in hand, ready to send to.
struct ResolvedWebhook {
    std::string url;  // the secret: never logged
    WebhookKind kind;
    std::string shown;       // redact_url(url), for messages
    std::string where_from;  // "$DISCORD_WEBHOOK_URL", "the file /run/...", "the url in the config"
};

struct WebhookSend {
    const WebhookAction* action;
    const ResolvedWebhook* webhook;
    TemplateValues values;  // `now` is filled in at send time
    Duration timeout;
    std::string task;
};

class WebhookSender {
  public:
    using Done = std::function<void(Outcome)>;

    WebhookSender(EventLoop& events, Logger& logger);

    // Sends (or queues behind the rate limit) and reports once, later, from the event loop.
    std::unique_ptr<ActionRun> send(WebhookSend send, Done done);

    // Observability: told of every answer and of rate-limit waits, from now on (null: nobody).
    void set_observer(Observer* observer) { observer_ = observer; }

    std::uint64_t requests_completed() const { return http_ ? http_->requests_completed() : 0; }
    std::uint64_t connections_opened() const { return http_ ? http_->connections_opened() : 0; }

  private:
    class Run;
    struct Pending {
        WebhookSend send;
        Done done;
        std::string bucket_key;  // empty: not rate limited (Slack, generic)
        std::optional<HttpClient::RequestId> request;
    };
    using Id = std::uint64_t;

    void pump(const std::string& bucket_key);
    void transmit(Id id);
    void finish(Id id, Outcome outcome);
    void cancel(Id id);
    Outcome classify(const Pending& pending, const HttpResponse& response);
    void log_capped_delay(const Pending& pending);
    // Observability: a bucket's queue is held back by its rate limit from now, or no longer.
    void rate_limit_holds(const std::string& bucket_key, Id front);
    void rate_limit_releases(const std::string& bucket_key);

    EventLoop& events_;
    Logger& logger_;
    // Created with the first request: setting up libcurl loads and initialises its TLS library,
    // several MiB that a daemon running only commands should not carry.
    std::unique_ptr<HttpClient> http_;
    DiscordRateLimiter limiter_;
    std::map<Id, Pending> pending_;
    // By bucket key, a webhook's URL: hashed, since a thousand URLs share a long prefix that an
    // ordered map would compare again and again. A queue is nearly always empty or one long.
    std::unordered_map<std::string, std::vector<Id>> queues_;
    std::unordered_map<std::string, EventSource> wake_timers_;
    std::vector<Done> cancelled_;  // reported on the next loop turn
    EventSource cancelled_flush_;
    Id next_id_ = 1;
    Observer* observer_ = nullptr;
    struct RateLimitHold {
        Instant since;
        std::string webhook;
    };
    std::unordered_map<std::string, RateLimitHold> holds_;  // by bucket key, while held back
};

}  // namespace tasksrun

#include "actions/webhook_sender.hpp"

#include "actions/output_capture.hpp"
#include "actions/server_delay.hpp"
#include "config/discord_limits.hpp"
#include "config/templates.hpp"
#include "event/clock.hpp"
#include "log/redact.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

// A 429 that is not Discord's JSON comes from the edge (Cloudflare): this host is banned for a
// while, and hammering makes it longer.
constexpr Duration kEdgeBanBackoff = std::chrono::minutes{5};

constexpr const char* kAttachmentName = "output.txt";
// Discord's upload limit for a webhook without a boosted server.
constexpr std::size_t kMaxAttachmentBytes = 8 * 1024 * 1024;

// A command's captured output as Discord's files[0], its middle dropped if it is over the limit.
HttpFilePart attachment(const std::string& output) {
    std::string data = output;
    if (data.size() > kMaxAttachmentBytes) {
        OutputCapture within(kMaxAttachmentBytes - 256);  // room for the mark of the cut
        within.append(data);
        data = within.text();
    }
    return HttpFilePart{"files[0]", kAttachmentName, "text/plain; charset=utf-8", std::move(data)};
}

Outcome failed(FailureKind kind, std::string error, long status = 0) {
    Outcome outcome{.failure = FailureClass{kind}, .error = std::move(error)};
    if (status != 0) outcome.http_status = static_cast<int>(status);
    return outcome;
}

// Discord's error JSON ({"message": "...", "code": 10015}), or the start of whatever came back.
std::string describe_body(std::string_view body) {
    const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_object() && document.contains("message") && document["message"].is_string()) {
        std::string text = document["message"].get<std::string>();
        if (document.contains("code")) text += " (code " + document["code"].dump() + ")";
        return text;
    }
    std::string text(body.substr(0, 200));
    for (char& c : text) {
        if (c == '\n' || c == '\r') c = ' ';
    }
    return text.empty() ? "no body" : text;
}

// Observability: how /metrics labels an answer.
std::string answer_code(const HttpResponse& response) {
    if (response.error == CURLE_OPERATION_TIMEDOUT) return "timeout";
    if (response.error != CURLE_OK) return "network";
    return std::to_string(response.status);
}

}  // namespace

class WebhookSender::Run final : public ActionRun {
  public:
    Run(WebhookSender& sender, Id id) : sender_(sender), id_(id) {}
    void abort() override { sender_.cancel(id_); }

  private:
    WebhookSender& sender_;
    const Id id_;
};

WebhookSender::WebhookSender(EventLoop& events, Logger& logger)
    : events_(events), logger_(logger) {}

std::unique_ptr<ActionRun> WebhookSender::send(WebhookSend send, Done done) {
    const Id id = next_id_++;
    std::string key;
    if (send.webhook->kind == WebhookKind::discord) {
        key = discord_execute_url(send.webhook->url, send.action->wait, send.action->thread_id);
    }
    pending_.emplace(id, Pending{std::move(send), std::move(done), key, std::nullopt});
    if (key.empty()) {
        transmit(id);
    } else {
        queues_[key].push_back(id);
        pump(key);
    }
    return std::make_unique<Run>(*this, id);
}

void WebhookSender::pump(const std::string& key) {
    auto& queue = queues_[key];
    while (!queue.empty()) {
        const auto decision = limiter_.may_send(key, boot_clock_now());
        if (decision.kind == DiscordRateLimiter::Decision::Kind::wait_for_answer) return;
        if (decision.kind == DiscordRateLimiter::Decision::Kind::wait_until) {
            rate_limit_holds(key, queue.front());
            wake_timers_[key] = events_.timer(decision.at, [this, key] { pump(key); });
            return;
        }
        rate_limit_releases(key);
        const Id id = queue.front();
        queue.erase(queue.begin());
        transmit(id);
    }
    rate_limit_releases(key);
}

void WebhookSender::rate_limit_holds(const std::string& key, Id front) {
    if (observer_ == nullptr || holds_.contains(key)) return;
    holds_.emplace(key, RateLimitHold{wall_clock_now(), pending_.at(front).send.action->webhook});
}

void WebhookSender::rate_limit_releases(const std::string& key) {
    if (observer_ == nullptr) return;
    const auto it = holds_.find(key);
    if (it == holds_.end()) return;
    observer_->webhook_rate_limited(it->second.webhook, wall_clock_now() - it->second.since);
    holds_.erase(it);
}

void WebhookSender::transmit(Id id) {
    Pending& pending = pending_.at(id);
    const WebhookSend& send = pending.send;
    const WebhookAction& action = *send.action;
    TemplateValues values = send.values;
    values[Placeholder::now] =
        format_utc(std::chrono::floor<std::chrono::milliseconds>(wall_clock_now()));

    HttpRequest request;
    request.method = action.method;
    request.url = pending.bucket_key.empty() ? send.webhook->url : pending.bucket_key;
    request.timeout = send.timeout;
    for (const auto& [name, value] : action.headers)
        request.headers.push_back(name + ": " + expand_header(value, values));
    if (action.json_body) {
        // Values that would make a field too long are cut to fit: a post that arrives
        // shortened beats one Discord refuses (SPEC 10.3).
        nlohmann::json body =
            expand_json_within(*action.json_body, values, action.limits, kDiscordEmbedTextTotalMax);
        const std::string& output = values[Placeholder::output];
        if (action.attach_output && !output.empty()) {
            body["attachments"] = {{{"id", 0}, {"filename", kAttachmentName}}};
            request.files.push_back(attachment(output));
        } else {
            request.headers.push_back("Content-Type: application/json");
        }
        request.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (action.raw_body) {
        request.body = expand(*action.raw_body, values);
    }
    if (!pending.bucket_key.empty()) limiter_.sent(pending.bucket_key);
    if (!http_) http_ = std::make_unique<HttpClient>(events_);
    pending.request = http_->send(std::move(request), [this, id](HttpResponse response) {
        Pending& done_pending = pending_.at(id);
        done_pending.request.reset();
        if (observer_ != nullptr)
            observer_->webhook_answered(done_pending.send.action->webhook, answer_code(response));
        Outcome outcome = classify(done_pending, response);
        const std::string key = done_pending.bucket_key;
        finish(id, std::move(outcome));
        if (!key.empty()) pump(key);
    });
}

Outcome WebhookSender::classify(const Pending& pending, const HttpResponse& response) {
    const ResolvedWebhook& webhook = *pending.send.webhook;
    const std::string& key = pending.bucket_key;
    const MonoInstant now = boot_clock_now();
    if (response.error != CURLE_OK) {
        if (!key.empty()) limiter_.abandoned(key);
        if (response.error == CURLE_OPERATION_TIMEDOUT) {
            return failed(FailureKind::timeout, "no answer from " + webhook.shown + " within " +
                                                    format_duration(pending.send.timeout));
        }
        return failed(FailureKind::network, response.error_message + " (" + webhook.shown + ")");
    }
    const long status = response.status;
    if (status == 429) {
        TooManyRequests limit = parse_too_many_requests(response.headers, response.body);
        if (limit.delay_capped) log_capped_delay(pending);
        // A delay the server did not give usably leaves the Loop's own backoff in charge; the
        // webhook's bucket still rests a second.
        std::optional<Duration> server_wait = limit.retry_after;
        Duration wait = server_wait.value_or(Duration{1s});
        if (!limit.json && webhook.kind == WebhookKind::discord) {
            wait = std::max(wait, kEdgeBanBackoff);
            server_wait = wait;
            logger_.message(LogLevel::error,
                            "HTTP 429 from " + webhook.shown +
                                " without Discord's JSON body: this host is "
                                "probably banned at Discord's edge for sending too many requests "
                                "(for example too "
                                "many failed ones); nothing is sent to it for " +
                                format_duration(wait),
                            pending.send.task);
        }
        if (!key.empty()) limiter_.limited(key, wait, limit.global, now);
        Outcome outcome =
            failed(FailureKind::http_429,
                   std::string("HTTP 429: rate limited") + (limit.global ? " (global)" : "") +
                       (server_wait ? ", retry after " + format_duration(*server_wait) : ""),
                   status);
        outcome.retry_after = server_wait;
        return outcome;
    }
    const RateLimitHeaders rate_limit = parse_rate_limit_headers(response.headers);
    if (rate_limit.delay_capped) log_capped_delay(pending);
    if (!key.empty()) limiter_.answered(key, rate_limit, now);
    if (status >= 200 && status < 300) return Outcome{.http_status = static_cast<int>(status)};
    if (status >= 500) {
        Outcome outcome =
            failed(FailureKind::http_5xx,
                   "HTTP " + std::to_string(status) + ": " + describe_body(response.body), status);
        const TooManyRequests retry = parse_too_many_requests(response.headers, "");
        if (retry.delay_capped) log_capped_delay(pending);
        outcome.retry_after = retry.retry_after;
        return outcome;
    }
    if (status == 404 && webhook.kind == WebhookKind::discord) {
        return failed(FailureKind::http_4xx,
                      "HTTP 404 Unknown Webhook: Discord no longer has the webhook " +
                          webhook.shown +
                          " (deleted, or its URL is wrong). Create a new one in the channel's "
                          "Integrations settings and put its URL in " +
                          webhook.where_from,
                      status);
    }
    if (status >= 300 && status < 400) {
        return failed(
            FailureKind::http_4xx,
            "HTTP " + std::to_string(status) + ": redirects are not followed; use the final URL",
            status);
    }
    return failed(FailureKind::http_4xx,
                  "HTTP " + std::to_string(status) + ": " + describe_body(response.body), status);
}

void WebhookSender::log_capped_delay(const Pending& pending) {
    logger_.message(LogLevel::warn,
                    pending.send.webhook->shown + " asked to wait more than " +
                        format_duration(kMaxServerDelay) + "; waiting " +
                        format_duration(kMaxServerDelay) + " instead",
                    pending.send.task);
}

void WebhookSender::finish(Id id, Outcome outcome) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Done done = std::move(it->second.done);
    pending_.erase(it);
    done(std::move(outcome));
}

void WebhookSender::cancel(Id id) {
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    Pending& pending = it->second;
    if (pending.request) {
        http_->cancel(*pending.request);
        if (!pending.bucket_key.empty()) limiter_.abandoned(pending.bucket_key);
    } else if (!pending.bucket_key.empty()) {
        std::erase(queues_[pending.bucket_key], id);
    }
    // The outcome still arrives once, from the event loop, as for a command.
    cancelled_.push_back(std::move(pending.done));
    pending_.erase(it);
    if (!cancelled_flush_) {
        cancelled_flush_ = events_.defer([this] {
            std::vector<Done> done = std::move(cancelled_);
            cancelled_.clear();
            cancelled_flush_.reset();
            for (Done& report : done) report(Outcome{.error = "cancelled", .cancelled = true});
        });
    }
}

}  // namespace tasksrun

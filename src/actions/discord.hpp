#pragma once
// What Discord's webhook API needs beyond plain HTTP: the versioned URL, its rate-limit headers
// and 429 bodies, and a limiter that makes tasks sharing a webhook wait instead of collecting
// 429s. Pure: the caller passes the time.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "actions/http_client.hpp"
#include "util/instant.hpp"

namespace tasksrun {

// ".../api/webhooks/ID/TOKEN" (any API version, or none) -> ".../api/v10/webhooks/ID/TOKEN",
// with ?wait=true and &thread_id=... as asked. An unversioned URL would report retry_after in
// milliseconds; v10 reports seconds.
std::string discord_execute_url(std::string_view url, bool wait,
                                const std::optional<std::string>& thread_id);

struct RateLimitHeaders {
    std::optional<std::string> bucket = std::nullopt;
    std::optional<int> limit = std::nullopt;
    std::optional<int> remaining = std::nullopt;
    std::optional<Duration> reset_after = std::nullopt;
    bool global = false;
    bool delay_capped = false;  // reset_after asked for more than a day (server_delay.hpp)
};
// Values that are not numbers are left out; delays are checked as server_delay.hpp says.
RateLimitHeaders parse_rate_limit_headers(const HttpHeaders& headers);

struct TooManyRequests {
    std::optional<Duration> retry_after = std::nullopt;  // nullopt: the answer said nothing usable
    bool global = false;
    bool json = false;  // false: not Discord's API answering (an HTML page from an edge ban)
    bool delay_capped = false;  // retry_after asked for more than a day (server_delay.hpp)
};
// A 429: `retry_after` from the JSON body (exact, float seconds) is preferred over the
// Retry-After header (whole seconds, rounded up). A delay server_delay.hpp rejects is no delay:
// the next usable source is used, else retry_after stays nullopt.
TooManyRequests parse_too_many_requests(const HttpHeaders& headers, std::string_view body);

// Per-webhook buckets, shared by every task that posts to the same webhook. Its time is the
// monotonic clock: every limit is a wait ("reset after", "retry after"), which a step of the wall
// clock must not lengthen or shorten.
class DiscordRateLimiter {
  public:
    struct Decision {
        enum class Kind { send, wait_until, wait_for_answer } kind;
        MonoInstant at{};  // for wait_until
    };

    Decision may_send(const std::string& key, MonoInstant now) const;
    void sent(const std::string& key);
    // A response other than 429 arrived (success or not).
    void answered(const std::string& key, const RateLimitHeaders& headers, MonoInstant now);
    // A 429 arrived: nothing goes to this webhook (or, if global, to any) until `retry_after`.
    void limited(const std::string& key, Duration retry_after, bool global, MonoInstant now);
    // The request ended without an answer (network error, timeout, cancel).
    void abandoned(const std::string& key);

  private:
    struct Bucket {
        std::optional<int> limit;
        std::optional<int> remaining;
        MonoInstant reset_at{};
        MonoInstant blocked_until{};
        int in_flight = 0;
    };
    std::unordered_map<std::string, Bucket> buckets_;
    MonoInstant global_blocked_until_{};
};

}  // namespace tasksrun

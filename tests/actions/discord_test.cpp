#include "actions/discord.hpp"

#include <catch2/catch.hpp>
#include <limits>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using Kind = DiscordRateLimiter::Decision::Kind;

// The limiter runs on the monotonic clock: waits, not wall-clock times.
const MonoInstant kT0{std::chrono::seconds{1'700'000}};

TEST_CASE("Discord URLs are rewritten to API v10 with their query parameters",
          "[actions][discord]") {
    CHECK(discord_execute_url("https://discord.com/api/webhooks/1/tok", false, std::nullopt) ==
          "https://discord.com/api/v10/webhooks/1/tok");
    CHECK(discord_execute_url("https://discord.com/api/v9/webhooks/1/tok", true, std::nullopt) ==
          "https://discord.com/api/v10/webhooks/1/tok?wait=true");
    CHECK(discord_execute_url("http://127.0.0.1:9/api/webhooks/1/tok", true, std::string("42")) ==
          "http://127.0.0.1:9/api/v10/webhooks/1/tok?wait=true&thread_id=42");
}

TEST_CASE("429 bodies: JSON retry_after wins over the rounded header", "[actions][discord]") {
    const auto r = parse_too_many_requests(
        {{"retry-after", "2"}},
        R"({"message":"You are being rate limited.","retry_after":1.337,"global":false})");
    CHECK(r.json);
    CHECK(r.retry_after == Duration{1'337'000});
    CHECK_FALSE(r.global);
    const auto global = parse_too_many_requests({{"x-ratelimit-global", "true"}},
                                                R"({"retry_after":0.5,"global":true})");
    CHECK(global.global);
    const auto html =
        parse_too_many_requests({{"retry-after", "30"}}, "<html>Access denied</html>");
    CHECK_FALSE(html.json);
    CHECK(html.retry_after == Duration{30s});
    CHECK_FALSE(parse_too_many_requests({}, "<html></html>").retry_after.has_value());
}

TEST_CASE("429 bodies: an unusable retry_after is no delay, one over a day is a day",
          "[actions][discord]") {
    for (const char* body :
         {R"({"retry_after":-1000})", R"({"retry_after":-1e300})", R"({"retry_after":0})",
          R"({"retry_after":"NaN"})", R"({"retry_after":null})"}) {
        INFO(body);
        const auto r = parse_too_many_requests({}, body);
        CHECK(r.json);
        CHECK_FALSE(r.retry_after.has_value());
        CHECK_FALSE(r.delay_capped);
    }
    // The header is the next source when the body's value is unusable.
    CHECK(parse_too_many_requests({{"retry-after", "3"}}, R"({"retry_after":-1})").retry_after ==
          Duration{3s});
    CHECK_FALSE(parse_too_many_requests({{"retry-after", "0"}}, "").retry_after.has_value());
    CHECK_FALSE(parse_too_many_requests({{"retry-after", "-5"}}, "").retry_after.has_value());
    const auto capped = parse_too_many_requests({}, R"({"retry_after":1e300})");
    CHECK(capped.retry_after == Duration{24h});
    CHECK(capped.delay_capped);
}

TEST_CASE("rate-limit headers: absurd values are dropped or bounded", "[actions][discord]") {
    const auto h = parse_rate_limit_headers({{"x-ratelimit-limit", "1e300"},
                                             {"x-ratelimit-remaining", "-3"},
                                             {"x-ratelimit-reset-after", "0"}});
    CHECK(h.limit == std::numeric_limits<int>::max());
    CHECK_FALSE(h.remaining.has_value());
    CHECK_FALSE(h.reset_after.has_value());
    const auto far = parse_rate_limit_headers({{"x-ratelimit-reset-after", "1e9"}});
    CHECK_FALSE(far.reset_after.has_value());  // not decimal seconds
    const auto day = parse_rate_limit_headers({{"x-ratelimit-reset-after", "1000000"}});
    CHECK(day.reset_after == Duration{24h});
    CHECK(day.delay_capped);
}

TEST_CASE("rate-limit headers", "[actions][discord]") {
    const auto h = parse_rate_limit_headers({{"x-ratelimit-bucket", "abcd"},
                                             {"x-ratelimit-limit", "5"},
                                             {"x-ratelimit-remaining", "0"},
                                             {"x-ratelimit-reset-after", "1.25"}});
    CHECK(h.bucket == "abcd");
    CHECK(h.limit == 5);
    CHECK(h.remaining == 0);
    CHECK(h.reset_after == Duration{1250ms});
}

TEST_CASE("rate limiter: one request at a time until the first answer, then the bucket decides",
          "[actions][discord]") {
    DiscordRateLimiter limiter;
    const std::string hook = "https://discord.com/api/v10/webhooks/1/tok";
    CHECK(limiter.may_send(hook, kT0).kind == Kind::send);
    limiter.sent(hook);
    CHECK(limiter.may_send(hook, kT0).kind == Kind::wait_for_answer);
    limiter.answered(hook, {.limit = 5, .remaining = 1, .reset_after = Duration{2s}}, kT0 + 100ms);
    CHECK(limiter.may_send(hook, kT0 + 100ms).kind == Kind::send);
    limiter.sent(hook);
    // The one remaining request is in flight: the next waits for the bucket to reset.
    const auto wait = limiter.may_send(hook, kT0 + 150ms);
    CHECK(wait.kind == Kind::wait_until);
    CHECK(wait.at == kT0 + 2100ms);
    limiter.answered(hook, {.limit = 5, .remaining = 0, .reset_after = Duration{1950ms}},
                     kT0 + 150ms);
    CHECK(limiter.may_send(hook, kT0 + 2s).kind == Kind::wait_until);
    CHECK(limiter.may_send(hook, kT0 + 2100ms).kind == Kind::send);  // reset: the limit again
    // Another webhook is not affected.
    CHECK(limiter.may_send("other", kT0 + 150ms).kind == Kind::send);
}

TEST_CASE("rate limiter: a 429 blocks its webhook, a global one blocks all", "[actions][discord]") {
    DiscordRateLimiter limiter;
    limiter.sent("a");
    limiter.limited("a", Duration{1500ms}, false, kT0);
    CHECK(limiter.may_send("a", kT0 + 1s).at == kT0 + 1500ms);
    CHECK(limiter.may_send("b", kT0 + 1s).kind == Kind::send);
    limiter.sent("b");
    limiter.limited("b", Duration{3s}, true, kT0 + 1s);
    CHECK(limiter.may_send("c", kT0 + 2s).kind == Kind::wait_until);
    CHECK(limiter.may_send("c", kT0 + 2s).at == kT0 + 4s);
    CHECK(limiter.may_send("c", kT0 + 4s).kind == Kind::send);
}

}  // namespace
}  // namespace tasksrun

namespace tasksrun {
namespace {

TEST_CASE("rate limiter: a late answer from earlier in the window cannot raise what remains",
          "[actions][discord]") {
    DiscordRateLimiter limiter;
    const std::string hook = "h";
    limiter.sent(hook);
    limiter.answered(hook, {.limit = 5, .remaining = 4, .reset_after = Duration{2s}}, kT0);
    for (int i = 0; i < 4; ++i) limiter.sent(hook);
    // All four are answered, out of order: the last request's answer first, the others after.
    limiter.answered(hook, {.limit = 5, .remaining = 0, .reset_after = Duration{1900ms}},
                     kT0 + 100ms);
    for (const int stale : {3, 2, 1}) {
        limiter.answered(hook, {.limit = 5, .remaining = stale, .reset_after = Duration{1800ms}},
                         kT0 + 200ms);
    }
    CHECK(limiter.may_send(hook, kT0 + 300ms).kind == Kind::wait_until);
    // Past the reset the next window's answer is taken as it comes.
    CHECK(limiter.may_send(hook, kT0 + 2100ms).kind == Kind::send);
    limiter.sent(hook);
    limiter.answered(hook, {.limit = 5, .remaining = 4, .reset_after = Duration{2s}}, kT0 + 2200ms);
    CHECK(limiter.may_send(hook, kT0 + 2300ms).kind == Kind::send);
}

// Discord's bucket as the e2e imitation serves it: 5 requests per 2 s window, the window
// opening with its first request and resetting whole; a request over the limit gets a 429.
class BucketServer {
  public:
    // Answers a request that arrives at `now`: the headers, or nullopt for a 429.
    std::optional<RateLimitHeaders> answer(MonoInstant now) {
        if (!opened_ || now - *opened_ >= kWindow) {
            opened_ = now;
            used_ = 0;
        }
        const Duration reset_after = kWindow - (now - *opened_);
        if (used_ == kLimit) return std::nullopt;
        ++used_;
        return RateLimitHeaders{
            .limit = kLimit, .remaining = kLimit - used_, .reset_after = reset_after};
    }

  private:
    static constexpr int kLimit = 5;
    static constexpr Duration kWindow = std::chrono::seconds{2};
    std::optional<MonoInstant> opened_;
    int used_ = 0;
};

TEST_CASE("rate limiter: twenty tasks sharing a webhook pace themselves without a 429",
          "[actions][discord]") {
    // Each task wants to post every second for 7 s; answers take 20 ms. The limiter decides
    // when each request may go, as WebhookSender asks it.
    DiscordRateLimiter limiter;
    BucketServer server;
    const std::string hook = "shared";
    std::vector<MonoInstant> due;  // when each waiting request became due
    for (int second = 0; second < 7; ++second) {
        for (int task = 0; task < 20; ++task) due.push_back(kT0 + std::chrono::seconds{second});
    }
    std::size_t sent = 0;
    std::size_t refused = 0;
    std::size_t next = 0;  // requests are sent in the order they became due
    for (MonoInstant now = kT0; now < kT0 + 7s; now += 10ms) {
        while (next < due.size() && due[next] <= now) {
            const auto decision = limiter.may_send(hook, now);
            if (decision.kind != DiscordRateLimiter::Decision::Kind::send) break;
            limiter.sent(hook);
            if (const auto headers = server.answer(now)) {
                limiter.answered(hook, *headers, now + 20ms);
                ++sent;
            } else {
                limiter.limited(hook, 1s, false, now + 20ms);
                ++refused;
            }
            ++next;
        }
    }
    CHECK(refused == 0);
    CHECK(sent >= 15);  // 5 per 2 s window over 7 s, the last window partly
}

}  // namespace
}  // namespace tasksrun

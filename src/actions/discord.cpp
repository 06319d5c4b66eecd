#include "actions/discord.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "actions/server_delay.hpp"

namespace tasksrun {
namespace {

// A count from a header: a whole number, at most INT_MAX (a larger one is as good as unlimited).
std::optional<int> parse_count(std::string_view text) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || !std::isfinite(value) || value < 0) return std::nullopt;
    constexpr double kMax = std::numeric_limits<int>::max();
    return static_cast<int>(std::min(std::floor(value), kMax));
}

const std::string* header(const HttpHeaders& headers, const std::string& name) {
    const auto it = headers.find(name);
    return it == headers.end() ? nullptr : &it->second;
}

}  // namespace

std::string discord_execute_url(std::string_view url, bool wait,
                                const std::optional<std::string>& thread_id) {
    std::string out(url);
    const std::size_t api = out.find("/api/");
    const std::size_t webhooks = out.find("/webhooks/", api == std::string::npos ? 0 : api);
    if (api != std::string::npos && webhooks != std::string::npos) {
        out.replace(api, webhooks - api, "/api/v10");
    }
    char separator = out.find('?') == std::string::npos ? '?' : '&';
    if (wait) {
        out += separator;
        out += "wait=true";
        separator = '&';
    }
    if (thread_id) {
        out += separator;
        out += "thread_id=" + *thread_id;
    }
    return out;
}

RateLimitHeaders parse_rate_limit_headers(const HttpHeaders& headers) {
    RateLimitHeaders out;
    if (const auto* bucket = header(headers, "x-ratelimit-bucket")) out.bucket = *bucket;
    if (const auto* limit = header(headers, "x-ratelimit-limit")) out.limit = parse_count(*limit);
    if (const auto* remaining = header(headers, "x-ratelimit-remaining"))
        out.remaining = parse_count(*remaining);
    if (const auto* reset = header(headers, "x-ratelimit-reset-after")) {
        if (const auto delay = parse_server_delay(*reset)) {
            out.reset_after = delay->delay;
            out.delay_capped = delay->capped;
        }
    }
    if (const auto* global = header(headers, "x-ratelimit-global")) out.global = *global == "true";
    return out;
}

TooManyRequests parse_too_many_requests(const HttpHeaders& headers, std::string_view body) {
    TooManyRequests out;
    const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_object()) {
        out.json = true;
        if (const auto it = document.find("retry_after"); it != document.end() && it->is_number()) {
            if (const auto delay = server_delay(it->get<double>())) {
                out.retry_after = delay->delay;
                out.delay_capped = delay->capped;
            }
        }
        if (const auto it = document.find("global"); it != document.end() && it->is_boolean()) {
            out.global = it->get<bool>();
        }
    }
    if (!out.retry_after) {
        if (const auto* retry = header(headers, "retry-after")) {
            if (const auto delay = parse_server_delay(*retry)) {
                out.retry_after = delay->delay;
                out.delay_capped = delay->capped;
            }
        }
    }
    out.global = out.global || parse_rate_limit_headers(headers).global;
    return out;
}

DiscordRateLimiter::Decision DiscordRateLimiter::may_send(const std::string& key,
                                                          Instant now) const {
    using Kind = Decision::Kind;
    if (global_blocked_until_ > now) return {Kind::wait_until, global_blocked_until_};
    const auto it = buckets_.find(key);
    if (it == buckets_.end()) return {Kind::send};
    const Bucket& bucket = it->second;
    if (bucket.blocked_until > now) return {Kind::wait_until, bucket.blocked_until};
    if (!bucket.remaining) {
        // Nothing known yet: one request at a time until Discord says how many are allowed.
        return bucket.in_flight == 0 ? Decision{Kind::send} : Decision{Kind::wait_for_answer};
    }
    const int allowed = now >= bucket.reset_at ? bucket.limit.value_or(1) : *bucket.remaining;
    if (allowed - bucket.in_flight > 0) return {Kind::send};
    if (now < bucket.reset_at) return {Kind::wait_until, bucket.reset_at};
    return {Kind::wait_for_answer};
}

void DiscordRateLimiter::sent(const std::string& key) {
    ++buckets_[key].in_flight;
}

void DiscordRateLimiter::answered(const std::string& key, const RateLimitHeaders& headers,
                                  Instant now) {
    Bucket& bucket = buckets_[key];
    if (bucket.in_flight > 0) --bucket.in_flight;
    if (!headers.remaining || !headers.reset_after) return;
    if (headers.limit) bucket.limit = headers.limit;
    if (bucket.remaining && now < bucket.reset_at) {
        // Same window: answers arrive in any order, and what remains only goes down.
        bucket.remaining = std::min(*bucket.remaining, *headers.remaining);
        return;
    }
    bucket.remaining = headers.remaining;
    bucket.reset_at = now + *headers.reset_after;
}

void DiscordRateLimiter::limited(const std::string& key, Duration retry_after, bool global,
                                 Instant now) {
    Bucket& bucket = buckets_[key];
    if (bucket.in_flight > 0) --bucket.in_flight;
    bucket.blocked_until = now + retry_after;
    bucket.remaining = 0;
    bucket.reset_at = bucket.blocked_until;
    if (global) global_blocked_until_ = now + retry_after;
}

void DiscordRateLimiter::abandoned(const std::string& key) {
    Bucket& bucket = buckets_[key];
    if (bucket.in_flight > 0) --bucket.in_flight;
}

}  // namespace tasksrun

#pragma once
// Delays a server asks for (`Retry-After`, Discord's `retry_after`, `X-RateLimit-Reset-After`),
// checked before anything waits on them (SPEC 11). A server is not trusted to set the pace: a
// delay that is not a positive finite number of seconds is no delay at all (the caller's own
// backoff stands), and one over a day is a day. Pure.
#include <optional>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

// The longest a server can make anything wait.
inline constexpr Duration kMaxServerDelay = std::chrono::hours{24};

struct ServerDelay {
    Duration delay{0};    // > 0 and <= kMaxServerDelay, rounded up to whole microseconds
    bool capped = false;  // the server asked for more than kMaxServerDelay
};

// nullopt for a negative, zero, NaN or infinite number of seconds.
std::optional<ServerDelay> server_delay(double seconds);

// A header value in decimal seconds ("2", "1.337"), surrounding blanks allowed. nullopt for
// anything else (an HTTP date, "soon", "", "1s") and for what server_delay rejects.
std::optional<ServerDelay> parse_server_delay(std::string_view text);

}  // namespace tasksrun

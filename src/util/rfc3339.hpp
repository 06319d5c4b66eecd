#pragma once
// RFC 3339 timestamps: seconds always present, a fraction only when it is not zero.
#include <chrono>
#include <expected>
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

// "2025-03-09T07:30:00Z"
std::string format_utc(Instant t);
// The same instant on a clock `offset` ahead of UTC: "2025-03-09T03:30:00-04:00".
std::string format_local(Instant t, std::chrono::seconds offset);

// Accepts "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)"; 't', 'z' and a space for 'T' too.
// The fraction keeps microseconds. Returns a message on anything else.
std::expected<Instant, std::string> parse_rfc3339(std::string_view text);

}  // namespace tasksrun

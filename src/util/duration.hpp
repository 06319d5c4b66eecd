#pragma once
// Durations as people write them in configs: "90s", "5m", "1h30m", "250ms", "1.5h".
#include <expected>
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

// Units: us, ms, s, m, h, d; each number may have a fraction; components add up. Returns a
// message saying what is wrong. Negative durations cannot be written.
std::expected<Duration, std::string> parse_duration(std::string_view text);

// Seconds as a TOML number gives them (may be fractional); rejects negative and non-finite
// values and values too large to represent.
std::expected<Duration, std::string> duration_from_seconds(double seconds);

// Milliseconds as a number, for JSON fields such as duration_ms: 1500us -> 1.5.
double to_milliseconds(Duration d);
// Milliseconds with three decimals, written digit by digit (every log line has some):
// "12.345" (a JSON number, and logfmt's). The one way tasksrun writes milliseconds.
void append_milliseconds(std::string& out, Duration value);
// The same with its unit, for people: "12.345 ms".
std::string format_milliseconds(Duration value);

// The shortest exact spelling in the units above: 90s -> "1m30s", 0.25s -> "250ms", 0 -> "0s".
std::string format_duration(Duration d);

}  // namespace tasksrun

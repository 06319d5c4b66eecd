#include "util/rfc3339.hpp"

#include <date/date.h>

#include <cstdio>
#include <sstream>

namespace tasksrun {
namespace {

using std::chrono::seconds;

// Formatted without iostreams: this runs for every log line and every template value, and
// date::format's stream and locale machinery cost more than everything else in a log line.
std::string format_wall(Instant t, seconds offset) {
    const auto shifted = t + offset;
    const auto day = date::floor<date::days>(shifted);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<Duration> time{shifted - day};
    char text[48];
    int length = std::snprintf(
        text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count()));
    const auto fraction = time.subseconds().count();  // microseconds
    if (fraction != 0) {
        int digits = 6;
        auto value = fraction;
        while (value % 10 == 0) {
            value /= 10;
            --digits;
        }
        length += std::snprintf(text + length, sizeof text - static_cast<std::size_t>(length),
                                ".%0*lld", digits, static_cast<long long>(value));
    }
    return std::string(text, static_cast<std::size_t>(length));
}

std::string format_offset(seconds offset) {
    const char sign = offset < seconds{0} ? '-' : '+';
    const auto magnitude = offset < seconds{0} ? -offset : offset;
    const date::hh_mm_ss parts{magnitude};
    std::string text = sign + date::format("%H:%M", magnitude);
    if (parts.seconds().count() != 0) text += date::format(":%S", parts.seconds());
    return text;
}

}  // namespace

std::string format_utc(Instant t) {
    return format_wall(t, seconds{0}) + "Z";
}

std::string format_local(Instant t, seconds offset) {
    return format_wall(t, offset) + format_offset(offset);
}

std::expected<Instant, std::string> parse_rfc3339(std::string_view text) {
    std::string normalized(text);
    if (normalized.size() > 10 && (normalized[10] == 't' || normalized[10] == ' ')) {
        normalized[10] = 'T';
    }
    if (!normalized.empty() && (normalized.back() == 'Z' || normalized.back() == 'z')) {
        normalized.back() = '+';
        normalized += "00:00";
    }
    std::istringstream in(normalized);
    Instant parsed;
    in >> date::parse("%FT%T%Ez", parsed);
    if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
        return std::unexpected("\"" + std::string(text) +
                               "\" is not an RFC 3339 timestamp like 2025-03-09T07:30:00Z");
    }
    return parsed;
}

}  // namespace tasksrun

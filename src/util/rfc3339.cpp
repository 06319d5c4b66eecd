#include "util/rfc3339.hpp"

#include <date/date.h>

#include <sstream>

namespace tasksrun {
namespace {

using std::chrono::seconds;

std::string format_wall(Instant t, seconds offset) {
    const auto shifted = t + offset;
    const auto whole = date::floor<seconds>(shifted);
    std::string text = date::format("%FT%H:%M:%S", whole);
    auto fraction = (shifted - whole).count();  // microseconds
    if (fraction != 0) {
        std::string digits = std::to_string(fraction + 1'000'000).substr(1);
        while (digits.back() == '0') digits.pop_back();
        text += "." + digits;
    }
    return text;
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

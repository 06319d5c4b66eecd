#include "util/rfc3339.hpp"

#include <date/date.h>

#include <cstdio>
#include <sstream>

namespace tasksrun {
namespace {

using std::chrono::seconds;

// Writes `value` as exactly `width` decimal digits, ending just before `end`.
void put_digits(char* end, unsigned long long value, int width) {
    for (int i = 0; i < width; ++i) {
        *--end = static_cast<char>('0' + value % 10);
        value /= 10;
    }
}

// Formatted digit by digit, without iostreams or printf: this runs for every log line and every
// template value, where date::format's stream machinery, and then snprintf, cost more than
// everything else in the line.
std::string format_wall(Instant t, seconds offset) {
    const auto shifted = t + offset;
    const auto day = date::floor<date::days>(shifted);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<Duration> time{shifted - day};
    char text[32] = "0000-00-00T00:00:00";
    const int year = static_cast<int>(ymd.year());
    if (year < 0 || year > 9999) {
        char wide[48];
        const int length = std::snprintf(
            wide, sizeof wide, "%d-%02u-%02uT%02d:%02d:%02d", year,
            static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
            static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
            static_cast<int>(time.seconds().count()));
        return std::string(wide, static_cast<std::size_t>(length));
    }
    put_digits(text + 4, static_cast<unsigned>(year), 4);
    put_digits(text + 7, static_cast<unsigned>(ymd.month()), 2);
    put_digits(text + 10, static_cast<unsigned>(ymd.day()), 2);
    put_digits(text + 13, static_cast<unsigned long long>(time.hours().count()), 2);
    put_digits(text + 16, static_cast<unsigned long long>(time.minutes().count()), 2);
    put_digits(text + 19, static_cast<unsigned long long>(time.seconds().count()), 2);
    std::size_t length = 19;
    auto fraction = static_cast<unsigned long long>(time.subseconds().count());  // microseconds
    if (fraction != 0) {
        int digits = 6;
        while (fraction % 10 == 0) {
            fraction /= 10;
            --digits;
        }
        text[length] = '.';
        put_digits(text + length + 1 + digits, fraction, digits);
        length += 1 + static_cast<std::size_t>(digits);
    }
    return std::string(text, length);
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

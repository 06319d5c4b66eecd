#include "util/duration.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

namespace tasksrun {
namespace {

struct Unit {
    std::string_view suffix;
    Duration length;
};

// Largest first, the order format_duration spells them in.
constexpr std::array<Unit, 6> kUnits = {{
    {"d", std::chrono::hours{24}},
    {"h", std::chrono::hours{1}},
    {"m", std::chrono::minutes{1}},
    {"s", std::chrono::seconds{1}},
    {"ms", std::chrono::milliseconds{1}},
    {"us", std::chrono::microseconds{1}},
}};

// The unit `text` starts with; the longest suffix wins, so "ms" is not read as "m" + "s".
const Unit* unit_at_start(std::string_view text) {
    const Unit* found = nullptr;
    for (const Unit& unit : kUnits) {
        if (text.starts_with(unit.suffix) &&
            (found == nullptr || unit.suffix.size() > found->suffix.size())) {
            found = &unit;
        }
    }
    return found;
}

// 100 years: far beyond any sensible interval or timeout, far below overflow.
constexpr double kMaxMicroseconds = 100.0 * 365.25 * 86400.0 * 1e6;

std::expected<Duration, std::string> from_microseconds(double us) {
    if (!std::isfinite(us) || us < 0) return std::unexpected("must not be negative");
    if (us > kMaxMicroseconds) return std::unexpected("is longer than 100 years");
    return Duration{static_cast<Duration::rep>(std::llround(us))};
}

}  // namespace

std::expected<Duration, std::string> parse_duration(std::string_view text) {
    const std::string quoted = "\"" + std::string(text) + "\"";
    if (text.empty())
        return std::unexpected("empty duration (write e.g. \"30s\", \"5m\", \"1h30m\")");
    if (text.front() == '-') return std::unexpected("duration " + quoted + " must not be negative");
    double total_us = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        double number = 0;
        const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), number);
        if (ec != std::errc{} || text[i] == '+') {
            return std::unexpected("duration " + quoted +
                                   " is not a number followed by a unit (us, ms, s, m, h, d)");
        }
        i = static_cast<std::size_t>(end - text.data());
        const Unit* unit = unit_at_start(text.substr(i));
        if (unit == nullptr) {
            return std::unexpected("duration " + quoted +
                                   " needs a unit after each number (us, ms, s, m, h, d)");
        }
        i += unit->suffix.size();
        total_us += number * static_cast<double>(unit->length.count());
    }
    auto result = from_microseconds(total_us);
    if (!result) return std::unexpected("duration " + quoted + " " + result.error());
    return result;
}

std::expected<Duration, std::string> duration_from_seconds(double seconds) {
    auto result = from_microseconds(seconds * 1e6);
    if (!result) return std::unexpected("duration " + result.error());
    return result;
}

std::string format_duration(Duration d) {
    if (d == Duration::zero()) return "0s";
    std::string text;
    for (const auto& [suffix, length] : kUnits) {
        const auto count = d / length;
        if (count == 0) continue;
        text += std::to_string(count);
        text += suffix;
        d -= count * length;
    }
    return text;
}

void append_milliseconds(std::string& out, Duration value) {
    const auto micros = value.count();
    if (micros < 0) out += '-';
    const auto magnitude = static_cast<std::uint64_t>(micros < 0 ? -micros : micros);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, magnitude / 1000).ptr;
    out.append(digits, end);
    const auto thousandths = magnitude % 1000;
    out += '.';
    out += static_cast<char>('0' + thousandths / 100);
    out += static_cast<char>('0' + thousandths / 10 % 10);
    out += static_cast<char>('0' + thousandths % 10);
}

std::string format_milliseconds(Duration value) {
    std::string text;
    append_milliseconds(text, value);
    return text + " ms";
}

double to_milliseconds(Duration d) {
    return static_cast<double>(d.count()) / 1000.0;
}

}  // namespace tasksrun

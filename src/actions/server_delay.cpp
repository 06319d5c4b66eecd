#include "actions/server_delay.hpp"

#include <charconv>
#include <cmath>

namespace tasksrun {

std::optional<ServerDelay> server_delay(double seconds) {
    // Written so that NaN fails the test too.
    if (!(seconds > 0.0) || !std::isfinite(seconds)) return std::nullopt;
    constexpr double kMaxSeconds = std::chrono::duration<double>(kMaxServerDelay).count();
    if (seconds > kMaxSeconds) return ServerDelay{.delay = kMaxServerDelay, .capped = true};
    // At most a day in microseconds (8.64e10): the conversion cannot overflow.
    const auto micros = static_cast<Duration::rep>(std::ceil(seconds * 1e6));
    return ServerDelay{.delay = Duration{micros}, .capped = false};
}

std::optional<ServerDelay> parse_server_delay(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    double seconds = 0;
    const char* const end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, seconds, std::chars_format::fixed);
    if (stop != end) return std::nullopt;
    if (error == std::errc::result_out_of_range) {
        // Too many digits for a double: far over a day, unless it is a tiny fraction or negative.
        const std::string_view whole = text.substr(0, text.find('.'));
        const bool huge = !whole.starts_with('-') && whole.find_first_not_of('0') != whole.npos;
        return huge ? std::optional(ServerDelay{.delay = kMaxServerDelay, .capped = true})
                    : std::nullopt;
    }
    if (error != std::errc{}) return std::nullopt;
    return server_delay(seconds);
}

}  // namespace tasksrun

#include "observe/html_text.hpp"

#include <cstdio>

namespace tasksrun {

void append_html_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
}

std::string utc_hours_minutes(Instant at) {
    const auto since_midnight = at - std::chrono::floor<std::chrono::days>(at);
    const std::chrono::hh_mm_ss clock{std::chrono::floor<std::chrono::minutes>(since_midnight)};
    char text[8];
    std::snprintf(text, sizeof text, "%02d:%02d", static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()));
    return text;
}

std::string approximate_duration(Duration d) {
    using namespace std::chrono;
    const auto sign = d < Duration::zero() ? std::string("-") : std::string();
    if (d < Duration::zero()) d = -d;
    char text[32];
    if (d < seconds{1}) {
        std::snprintf(text, sizeof text, "%lldms",
                      static_cast<long long>(duration_cast<milliseconds>(d).count()));
    } else if (d < minutes{1}) {
        std::snprintf(text, sizeof text, "%.1fs", duration<double>(d).count());
    } else {
        // Two units, the smaller rounded down: enough to read at a glance.
        const auto total = duration_cast<seconds>(d).count();
        constexpr long long kUnits[] = {86400, 3600, 60, 1};
        constexpr char kNames[] = {'d', 'h', 'm', 's'};
        std::size_t i = 0;
        while (total < kUnits[i]) ++i;
        const long long big = total / kUnits[i];
        const long long small = total % kUnits[i] / kUnits[i + 1];
        if (small == 0) {
            std::snprintf(text, sizeof text, "%lld%c", big, kNames[i]);
        } else {
            std::snprintf(text, sizeof text, "%lld%c%lld%c", big, kNames[i], small, kNames[i + 1]);
        }
    }
    return sign + text;
}

}  // namespace tasksrun

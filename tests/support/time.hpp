#pragma once
// Test helpers: instants written as RFC 3339 text, and firings shown as local text.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "schedule/wall_clock.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun::test {

inline Instant at(const std::string& rfc3339) {
    auto parsed = parse_rfc3339(rfc3339);
    REQUIRE(parsed.has_value());
    return *parsed;
}

inline Zone zone(const std::string& name) {
    auto z = Zone::locate(name);
    REQUIRE(z.has_value());
    return *z;
}

inline std::string local_text(Instant t, const Zone& z) {
    return format_local(t, z.offset_at(std::chrono::floor<std::chrono::seconds>(t)));
}

// The next `n` firings of `schedule` after `from`, as local RFC 3339 text in its zone.
inline std::vector<std::string> next_local(const WallClockSchedule& schedule, Instant from,
                                           std::size_t n) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) {
        auto next = schedule.next_after(from);
        if (!next) break;
        out.push_back(local_text(*next, schedule.zone()));
        from = *next;
    }
    return out;
}

}  // namespace tasksrun::test

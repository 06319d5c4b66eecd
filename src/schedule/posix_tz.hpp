#pragma once
// A POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0") with the extensions of RFC 8536 section 3.3.1,
// as the footer of a TZif file states it: the rule for every instant after the file's last
// listed transition. Pure: no clock, no I/O.
//
// Accepted: names as letters or <quoted>; offsets [+-]hh[:mm[:ss]]; transition days Mm.w.d
// (week 5 = the last), Jn (1-365, February 29 never counted) and n (0-365, counted); transition
// times [+-]hhh[:mm[:ss]] from -167 to 167 hours (Nuuk's "M3.5.0/-1", Jerusalem's
// "M3.4.4/26"); a DST offset below the standard one (Dublin's "IST-1GMT0,..."); DST all year
// (a start on January 1 at 00:00 and an end on December 31 at 24:00 plus the DST saving); no
// DST at all ("<+01>-1"). A DST name without rules means the US rules "M3.2.0,M11.1.0", as
// glibc takes it.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "schedule/zone_segment.hpp"

namespace tasksrun {

// The local time within a year at which DST starts or ends.
struct PosixTransitionDay {
    enum class Kind : std::uint8_t { month_week_day, julian_no_leap, zero_based };
    Kind kind = Kind::month_week_day;
    std::uint8_t month = 3;    // month_week_day: 1..12
    std::uint8_t week = 2;     // month_week_day: 1..5, 5 = the last such weekday
    std::uint8_t weekday = 0;  // month_week_day: 0 = Sunday
    std::uint16_t day = 0;     // julian_no_leap: 1..365; zero_based: 0..365
    std::chrono::seconds time = std::chrono::hours{2};  // local time of day; may be < 0 or > 24h

    date::local_seconds in_year(date::year year) const;
};

class PosixTzRule {
  public:
    // Returns a message naming the position of the problem on failure.
    static std::expected<PosixTzRule, std::string> parse(std::string_view text);

    bool has_dst() const { return has_dst_; }
    std::chrono::seconds standard_offset() const { return std_offset_; }

    // The constant-offset segment containing t under this rule alone. A rule without DST, or
    // with DST all year, is one segment from kFarPast to kFarFuture.
    ZoneSegment segment_at(SysSeconds t) const;

  private:
    PosixTzRule() = default;

    std::chrono::seconds std_offset_{0};  // UTC + this = local standard time
    std::chrono::seconds dst_offset_{0};
    PosixTransitionDay start_;  // in local standard time
    PosixTransitionDay end_;    // in local daylight time
    bool has_dst_ = false;
};

}  // namespace tasksrun

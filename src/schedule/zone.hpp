#pragma once
// A time zone from the system tzdb, seen as a sequence of segments of constant UTC offset.
// Every DST rule in schedule/ is expressed through segment_at(), so this is the single seam
// between tasksrun and the tz library.
#include <date/tz.h>

#include <expected>
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

// The widest range the tz library describes (years -32767..32767); also the bounds of the
// single UTC segment. Converting these to Instant cannot overflow.
inline constexpr SysSeconds kFarPast{date::sys_days{date::year::min() / 1 / 1}};
inline constexpr SysSeconds kFarFuture{date::sys_days{date::year::max() / 12 / 31}};

// [begin, end) in UTC during which local time = UTC + offset.
struct ZoneSegment {
    SysSeconds begin;
    SysSeconds end;
    std::chrono::seconds offset;
};

class Zone {
  public:
    // "UTC" (and "Etc/UTC"), any IANA name the system tzdb knows, or "local" for the system
    // zone (/etc/localtime). Returns a message naming the zone on failure.
    static std::expected<Zone, std::string> locate(std::string_view name);
    static Zone utc();

    const std::string& name() const { return name_; }
    ZoneSegment segment_at(SysSeconds t) const;
    std::chrono::seconds offset_at(SysSeconds t) const { return segment_at(t).offset; }

  private:
    Zone(std::string name, const date::time_zone* tz) : name_(std::move(name)), tz_(tz) {}

    std::string name_;
    const date::time_zone* tz_;  // nullptr means UTC; the tzdb owns the zone for the process life
};

}  // namespace tasksrun

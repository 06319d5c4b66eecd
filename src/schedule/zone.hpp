#pragma once
// A time zone from the system tzdb, seen as a sequence of segments of constant UTC offset.
// Every DST rule in schedule/ is expressed through segment_at(), so this is the single seam
// between tasksrun and the tz data: up to a zone's last listed transition the segments are the
// tz library's; after it they follow the POSIX rule in the footer of the zone's TZif file
// (New York keeps its DST in 2040), as glibc's localtime does.
#include <expected>
#include <string>
#include <string_view>

#include "schedule/zone_segment.hpp"

namespace tasksrun {

class Zone {
  public:
    // "UTC" (and "Etc/UTC"), any IANA name the system tzdb knows, or "local" for the system
    // zone (/etc/localtime). Returns a message naming the zone on failure. Each zone's rules are
    // loaded once per process and shared by every Zone that names it; thread-safe.
    static std::expected<Zone, std::string> locate(std::string_view name);
    static Zone utc();

    const std::string& name() const;
    ZoneSegment segment_at(SysSeconds t) const;
    std::chrono::seconds offset_at(SysSeconds t) const { return segment_at(t).offset; }

    struct Rules;  // defined in zone.cpp

  private:
    explicit Zone(const Rules* rules) : rules_(rules) {}

    const Rules* rules_;  // never null; lives for the rest of the process
};

}  // namespace tasksrun

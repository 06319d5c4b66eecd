#pragma once
// The unit every DST rule in schedule/ is expressed in: a stretch of UTC during which a zone's
// offset does not change.
#include <date/date.h>

#include <chrono>

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

}  // namespace tasksrun

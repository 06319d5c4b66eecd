#pragma once
// glibc's own reading of a zone, as an oracle independent of schedule/: with TZ set, tzset()
// and localtime_r apply a TZif file's transitions and, after the last one, its POSIX footer
// (or a POSIX TZ string given directly). TZ is process-wide, so one GlibcZone at a time; the
// previous TZ comes back when it goes.
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>

#include "schedule/zone_segment.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun::test {

class GlibcZone {
  public:
    // `tz` as TZ takes it: ":America/New_York" for a file, or a POSIX string.
    explicit GlibcZone(const std::string& tz) {
        if (const char* previous = std::getenv("TZ")) previous_ = previous;
        ::setenv("TZ", tz.c_str(), 1);
        ::tzset();
    }
    ~GlibcZone() {
        if (previous_) {
            ::setenv("TZ", previous_->c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    GlibcZone(const GlibcZone&) = delete;
    GlibcZone& operator=(const GlibcZone&) = delete;

    std::chrono::seconds offset_at(SysSeconds t) const {
        const std::time_t time = t.time_since_epoch().count();
        std::tm local{};
        ::localtime_r(&time, &local);
        return std::chrono::seconds{local.tm_gmtoff};
    }

  private:
    std::optional<std::string> previous_;
};

// What walking `segment_at` (Zone's or PosixTzRule's) from `from` to `until` found against glibc.
struct SegmentComparison {
    std::size_t transitions = 0;  // segment boundaries met, each checked on both sides
    std::optional<std::string> first_disagreement;
};

// Walks the segments and checks, against glibc, the offset on both sides of every boundary and
// every `sample` inside every segment (so that a transition glibc has and the walk lacks shows
// too, unless its DST lasts less than `sample`).
template <typename SegmentAt>
SegmentComparison compare_with_glibc(const SegmentAt& segment_at, const GlibcZone& glibc,
                                     SysSeconds from, SysSeconds until,
                                     std::chrono::seconds sample = date::days{1}) {
    SegmentComparison result;
    const auto disagree = [&](SysSeconds t, std::chrono::seconds ours) {
        const auto theirs = glibc.offset_at(t);
        if (ours == theirs) return false;
        result.first_disagreement = "at " + format_utc(Instant{t}) + ": offset " +
                                    std::to_string(ours.count()) + "s, glibc " +
                                    std::to_string(theirs.count()) + "s";
        return true;
    };
    ZoneSegment segment = segment_at(from);
    for (;;) {
        const SysSeconds lo = std::max(segment.begin, from);
        const SysSeconds hi = std::min(segment.end, until);
        if (disagree(lo, segment.offset) || disagree(hi - std::chrono::seconds{1}, segment.offset))
            return result;
        for (SysSeconds t = lo + sample; t < hi; t += sample) {
            if (disagree(t, segment.offset)) return result;
        }
        if (segment.end >= until) return result;
        const ZoneSegment next = segment_at(segment.end);
        if (next.begin != segment.end) {
            result.first_disagreement =
                "segments do not abut at " + format_utc(Instant{segment.end});
            return result;
        }
        if (next.offset != segment.offset) ++result.transitions;
        segment = next;
    }
}

}  // namespace tasksrun::test

#include "schedule/wall_clock.hpp"

#include <algorithm>

namespace tasksrun {
namespace {

using std::chrono::seconds;

date::local_seconds to_local(SysSeconds t, seconds offset) {
    return date::local_seconds{t.time_since_epoch() + offset};
}

SysSeconds to_sys(date::local_seconds t, seconds offset) {
    return SysSeconds{t.time_since_epoch() - offset};
}

void keep_earliest(std::optional<SysSeconds>& best, SysSeconds candidate) {
    if (!best || candidate < *best) best = candidate;
}

}  // namespace

WallClockSchedule::WallClockSchedule(Pattern pattern, Zone zone, DstPolicy policy)
    : pattern_(std::move(pattern)), zone_(std::move(zone)), policy_(policy) {}

bool WallClockSchedule::is_fixed_time() const {
    const auto* cron = std::get_if<CronExpression>(&pattern_);
    return cron == nullptr || cron->is_fixed_time();
}

std::optional<date::local_seconds> WallClockSchedule::next_local_match(
    date::local_seconds from, date::local_seconds until) const {
    return std::visit([&](const auto& p) { return p.next_match(from, until); }, pattern_);
}

// Walks the zone's constant-offset segments forward from t. Inside a segment local time is
// UTC + offset, so the pattern's next local match maps straight to an instant; the walk only
// has to add what happens at the segment's edges: slots from a gap before it (fixed-time,
// shift or at-transition) and local times a fold repeats (fixed-time, first or last).
std::optional<Instant> WallClockSchedule::next_after(Instant t) const {
    const SysSeconds from = date::floor<seconds>(t) + seconds{1};
    const SysSeconds horizon = from + date::floor<seconds>(date::years{100});
    const bool fixed_time = is_fixed_time();

    ZoneSegment segment = zone_.segment_at(from);
    while (segment.begin < horizon) {
        std::optional<SysSeconds> best;
        date::local_seconds local_lo = to_local(std::max(from, segment.begin), segment.offset);
        date::local_seconds local_hi = to_local(std::min(segment.end, horizon), segment.offset);

        if (fixed_time && segment.begin > kFarPast) {
            const ZoneSegment previous = zone_.segment_at(segment.begin - seconds{1});
            if (previous.offset < segment.offset && policy_.gap != DstGap::skip) {
                // Local times in [gap_lo, gap_hi) never happened on the clock.
                const date::local_seconds gap_lo = to_local(segment.begin, previous.offset);
                const date::local_seconds gap_hi = to_local(segment.begin, segment.offset);
                if (policy_.gap == DstGap::shift) {
                    const auto start = std::max(gap_lo, to_local(from, previous.offset));
                    if (auto gap_slot = next_local_match(start, gap_hi)) {
                        keep_earliest(best, to_sys(*gap_slot, previous.offset));
                    }
                } else if (segment.begin >= from && next_local_match(gap_lo, gap_hi)) {
                    keep_earliest(best, segment.begin);
                }
            }
            if (previous.offset > segment.offset && policy_.fold == DstFold::first) {
                // These local times already ran on their first pass, in the previous segment.
                local_lo = std::max(local_lo, to_local(segment.begin, previous.offset));
            }
        }
        if (fixed_time && segment.end < kFarFuture) {
            const ZoneSegment next = zone_.segment_at(segment.end);
            if (next.offset < segment.offset && policy_.fold == DstFold::last) {
                // These local times come round again in the next segment; run them there.
                local_hi = std::min(local_hi, to_local(segment.end, next.offset));
            }
        }
        if (auto slot = next_local_match(local_lo, local_hi)) {
            keep_earliest(best, to_sys(*slot, segment.offset));
        }
        if (best) return Instant{*best};
        if (segment.end >= kFarFuture) break;
        segment = zone_.segment_at(segment.end);
    }
    return std::nullopt;
}

}  // namespace tasksrun

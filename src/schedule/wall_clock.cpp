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

WallClockSchedule::WallClockSchedule(Pattern pattern, Zone zone, DstPolicy policy,
                                     std::vector<ZonedTimes> elsewhere)
    : pattern_(std::move(pattern)),
      zone_(std::move(zone)),
      policy_(policy),
      elsewhere_(elsewhere.empty()
                     ? nullptr
                     : std::make_shared<const std::vector<ZonedTimes>>(std::move(elsewhere))) {}

const std::vector<ZonedTimes>& WallClockSchedule::elsewhere() const {
    static const std::vector<ZonedTimes> kNone;
    return elsewhere_ ? *elsewhere_ : kNone;
}

bool WallClockSchedule::is_fixed_time() const {
    const auto* cron = std::get_if<CronExpression>(&pattern_);
    return cron == nullptr || cron->is_fixed_time();
}

namespace {

// Walks the zone's constant-offset segments forward from t. Inside a segment local time is
// UTC + offset, so the pattern's next local match maps straight to an instant; the walk only
// has to add what happens at the segment's edges: slots from a gap before it (fixed-time,
// shift or at-transition) and local times a fold repeats (fixed-time, first or last).
template <typename Pattern>
std::optional<Instant> next_slot(const Pattern& pattern, const Zone& zone, bool fixed_time,
                                 DstPolicy policy, Instant t) {
    const SysSeconds from = date::floor<seconds>(t) + seconds{1};
    const SysSeconds horizon = from + date::floor<seconds>(date::years{100});

    ZoneSegment segment = zone.segment_at(from);
    while (segment.begin < horizon) {
        std::optional<SysSeconds> best;
        date::local_seconds local_lo = to_local(std::max(from, segment.begin), segment.offset);
        date::local_seconds local_hi = to_local(std::min(segment.end, horizon), segment.offset);

        if (fixed_time && segment.begin > kFarPast) {
            const ZoneSegment previous = zone.segment_at(segment.begin - seconds{1});
            if (previous.offset < segment.offset && policy.gap != DstGap::skip) {
                // Local times in [gap_lo, gap_hi) never happened on the clock.
                const date::local_seconds gap_lo = to_local(segment.begin, previous.offset);
                const date::local_seconds gap_hi = to_local(segment.begin, segment.offset);
                if (policy.gap == DstGap::shift) {
                    const auto start = std::max(gap_lo, to_local(from, previous.offset));
                    if (auto gap_slot = pattern.next_match(start, gap_hi)) {
                        keep_earliest(best, to_sys(*gap_slot, previous.offset));
                    }
                } else if (segment.begin >= from && pattern.next_match(gap_lo, gap_hi)) {
                    keep_earliest(best, segment.begin);
                }
            }
            if (previous.offset > segment.offset && policy.fold == DstFold::first) {
                // These local times already ran on their first pass, in the previous segment.
                local_lo = std::max(local_lo, to_local(segment.begin, previous.offset));
            }
        }
        if (fixed_time && segment.end < kFarFuture) {
            const ZoneSegment next = zone.segment_at(segment.end);
            if (next.offset < segment.offset && policy.fold == DstFold::last) {
                // These local times come round again in the next segment; run them there.
                local_hi = std::min(local_hi, to_local(segment.end, next.offset));
            }
        }
        if (auto slot = pattern.next_match(local_lo, local_hi)) {
            keep_earliest(best, to_sys(*slot, segment.offset));
        }
        if (best) return Instant{*best};
        if (segment.end >= kFarFuture) break;
        segment = zone.segment_at(segment.end);
    }
    return std::nullopt;
}

bool is_empty(const WallClockSchedule::Pattern& pattern) {
    const auto* times = std::get_if<TimesOfDay>(&pattern);
    return times != nullptr && times->times().empty();
}

void keep_earliest_slot(std::optional<Instant>& best, std::optional<Instant> candidate) {
    if (candidate && (!best || *candidate < *best)) best = candidate;
}

}  // namespace

std::optional<Instant> WallClockSchedule::next_after(Instant t) const {
    std::optional<Instant> best;
    if (!is_empty(pattern_)) {
        best = std::visit(
            [&](const auto& p) { return next_slot(p, zone_, is_fixed_time(), policy_, t); },
            pattern_);
    }
    for (const ZonedTimes& times : elsewhere()) {
        keep_earliest_slot(best, next_slot(times.times, times.zone, true, policy_, t));
    }
    return best;
}

const Zone& WallClockSchedule::zone_of_slot(Instant slot) const {
    if (!elsewhere_) return zone_;
    const Instant just_before = slot - Duration{1};
    if (!is_empty(pattern_) && std::visit(
                                   [&](const auto& p) {
                                       return next_slot(p, zone_, is_fixed_time(), policy_,
                                                        just_before);
                                   },
                                   pattern_) == slot) {
        return zone_;
    }
    for (const ZonedTimes& times : elsewhere()) {
        if (next_slot(times.times, times.zone, true, policy_, just_before) == slot)
            return times.zone;
    }
    return zone_;
}

}  // namespace tasksrun

#pragma once
// One task's runs over the last 24 hours, drawn as an inline SVG strip for the status page.
// Time is cut into 288 columns of 5 minutes; a column shows the most serious outcome of the runs
// that touched it, and adjacent columns alike are drawn as one mark. So a strip costs at most
// a few hundred marks, whatever the task's rate, and a one-minute run is still wide enough to
// see on a phone.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "schedule/instant.hpp"
#include "state/state_store.hpp"

namespace tasksrun {

inline constexpr Duration kTimelineSpan = std::chrono::hours{24};
inline constexpr std::size_t kTimelineColumns = 288;
// A run that started this much late or more is marked late.
inline constexpr Duration kTimelineLate = std::chrono::seconds{1};

// In increasing order of seriousness: a column shows the most serious one.
enum class MarkKind : std::uint8_t { none, ok, running, stopped, retried, failed };

// How a run from history is drawn: ok; retried (succeeded after retries, or waiting to retry
// now); failed; stopped (cancelled, stopped, or interrupted by a daemon that died); running.
MarkKind mark_kind(const RunRecord& run);
// The CSS class of a kind ("ok", "retried", ...); the page's legend uses the same.
std::string_view mark_class(MarkKind kind);

// Adjacent columns alike, as one mark.
struct TimelineMark {
    std::size_t first_column = 0;
    std::size_t columns = 0;
    MarkKind kind = MarkKind::none;
    std::uint32_t runs = 0;
    Duration max_lateness{0};
};

struct Timeline {
    std::vector<TimelineMark> outcomes;
    std::vector<TimelineMark> late;  // columns with a run that started kTimelineLate or later
};

// `runs` are one task's, in any order; those outside (now - kTimelineSpan, now] are left out. A
// run without a duration (running) lasts until `now`.
Timeline build_timeline(std::span<const RunRecord* const> runs, Instant now);

// <svg>...</svg>, with a <title> on each mark. `task` names it for screen readers.
void append_timeline_svg(std::string& out, const Timeline& timeline, std::string_view task,
                         Instant now);

}  // namespace tasksrun

#pragma once
// The status page at /: for people, on a desk or a phone. Every task's state, schedule, next run
// and last outcome, and a timeline of its runs over the last 24 hours drawn from the state
// database. One self-contained HTML document: inline CSS and SVG, no script, no external asset
// (no font, no image). It shows task names, schedules, states, outcomes and failure classes,
// never a message, a command's output or a URL, so no secret can reach it.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observe/snapshot.hpp"
#include "observe/timeline.hpp"

namespace tasksrun {

// What the state database gave for the timelines (TimelineCollector).
struct PageHistory {
    TaskHistories tasks = {};
    // Set when there are no timelines to draw, saying why (no state_dir; the database could not
    // be read).
    std::optional<std::string> unavailable = std::nullopt;
};

std::string render_status_page(const DaemonSnapshot& snapshot, const PageHistory& history,
                               std::string_view version);

}  // namespace tasksrun

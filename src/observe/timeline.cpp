#include "observe/timeline.hpp"

#include <algorithm>
#include <array>

#include "observe/html_text.hpp"

namespace tasksrun {
namespace {

constexpr Duration kColumn = kTimelineSpan / kTimelineColumns;
constexpr std::string_view kHeight = "14";

// The strip ends with the 5-minute column that holds `now`, so that columns fall on round
// minutes of the clock.
Instant strip_end(Instant now) {
    return now - now.time_since_epoch() % kColumn + kColumn;
}

std::size_t column_of(Instant t, Instant from) {
    const auto index = (t - from) / kColumn;
    return static_cast<std::size_t>(
        std::clamp<std::int64_t>(index, 0, static_cast<std::int64_t>(kTimelineColumns) - 1));
}

// Runs of columns alike; `key` tells which columns belong to a mark and which are alike.
template <typename Columns, typename Key, typename Fill>
std::vector<TimelineMark> merge_columns(const Columns& columns, Key key, Fill fill) {
    std::vector<TimelineMark> marks;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        const auto k = key(columns[i]);
        if (!k) continue;
        if (marks.empty() || marks.back().first_column + marks.back().columns != i ||
            key(columns[i - 1]) != k) {
            marks.push_back(TimelineMark{.first_column = i});
        }
        TimelineMark& mark = marks.back();
        ++mark.columns;
        fill(mark, columns[i]);
    }
    return marks;
}

void append_number(std::string& out, std::size_t n) {
    out += std::to_string(n);
}

// <rect class="..." x=... y=... width=... height=...><title>09:00–09:15 UTC: (the caller
// writes the rest of the title, then closes it and the rect).
void open_mark(std::string& out, std::string_view css_class, const TimelineMark& mark,
               std::string_view y, std::string_view height, Instant from) {
    out += "<rect class=\"";
    out += css_class;
    out += "\" x=\"";
    append_number(out, mark.first_column);
    out += "\" y=\"";
    out += y;
    out += "\" width=\"";
    append_number(out, mark.columns);
    out += "\" height=\"";
    out += height;
    out += "\"><title>";
    out += utc_hours_minutes(from + mark.first_column * kColumn);
    out += "\xe2\x80\x93";  // en dash
    out += utc_hours_minutes(from + (mark.first_column + mark.columns) * kColumn);
    out += " UTC: ";
}

}  // namespace

MarkKind mark_kind(const RunRecord& run) {
    const std::string_view outcome = run.outcome;
    if (outcome == "ok") return run.attempts > 1 ? MarkKind::retried : MarkKind::ok;
    if (outcome == "failed") return MarkKind::failed;
    if (outcome == "retrying") return MarkKind::retried;
    if (outcome == "running") return MarkKind::running;
    return MarkKind::stopped;  // cancelled, stopped, interrupted
}

std::string_view mark_class(MarkKind kind) {
    switch (kind) {
        case MarkKind::ok:
            return "ok";
        case MarkKind::running:
            return "running";
        case MarkKind::stopped:
            return "stopped";
        case MarkKind::retried:
            return "retried";
        case MarkKind::failed:
            return "failed";
        case MarkKind::none:
            break;
    }
    return "none";
}

TimelineCollector::TimelineCollector(Instant now)
    : now_(now), end_(strip_end(now)), from_(end_ - kTimelineSpan) {}

void TimelineCollector::add(const RunRecord& run) {
    if (run.task != task_) {
        close_task();
        task_ = run.task;
    }
    if (run.id > newest_id_ && run.duration) {
        newest_id_ = run.id;
        newest_ = RecentOutcome{run.loop, run.outcome, run.failure_class,
                                run.started + *run.duration, *run.duration};
    }
    const Instant finished = run.duration ? run.started + *run.duration : now_;
    if (run.started > now_ || finished < from_) return;
    const std::size_t first = column_of(std::max(run.started, from_), from_);
    const std::size_t last = column_of(std::min(finished, now_), from_);
    const MarkKind kind = mark_kind(run);
    for (std::size_t i = first; i <= last; ++i) columns_[i].kind = std::max(columns_[i].kind, kind);
    if (run.started < from_) return;  // began before the strip: counted where it began
    Column& start = columns_[first];
    ++start.runs;
    if (run.lateness >= kTimelineLate) {
        ++start.late_runs;
        start.max_lateness = std::max(start.max_lateness, run.lateness);
    }
}

void TimelineCollector::close_task() {
    if (task_.empty()) return;
    TaskHistory& history = done_[task_];
    history.timeline.outcomes = merge_columns(
        columns_,
        [](const Column& c) { return c.kind == MarkKind::none ? 0 : static_cast<int>(c.kind); },
        [](TimelineMark& mark, const Column& c) {
            mark.kind = c.kind;
            mark.runs += c.runs;
        });
    history.timeline.late = merge_columns(
        columns_, [](const Column& c) { return c.late_runs > 0 ? 1 : 0; },
        [](TimelineMark& mark, const Column& c) {
            mark.runs += c.late_runs;
            mark.max_lateness = std::max(mark.max_lateness, c.max_lateness);
        });
    history.newest = std::move(newest_);
    columns_ = {};
    newest_.reset();
    newest_id_ = 0;
    task_.clear();
}

TaskHistories TimelineCollector::finish() {
    close_task();
    return std::move(done_);
}

void append_timeline_svg(std::string& out, const Timeline& timeline, std::string_view task,
                         Instant now) {
    const Instant end = strip_end(now);
    const Instant from = end - kTimelineSpan;
    out += "<svg class=\"timeline\" viewBox=\"0 0 ";
    append_number(out, kTimelineColumns);
    out += ' ';
    out += kHeight;
    out += "\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"runs of ";
    append_html_escaped(out, task);
    out += " in the last 24 hours\">";
    // Lines at 00:00, 06:00, 12:00 and 18:00 UTC.
    out += "<path class=\"grid\" d=\"";
    const auto six_hours = std::chrono::hours{6};
    for (Instant line = std::chrono::ceil<std::chrono::hours>(from); line < end;
         line += std::chrono::hours{1}) {
        if (line.time_since_epoch() % six_hours != Duration::zero()) continue;
        out += 'M';
        append_number(out, static_cast<std::size_t>((line - from) / kColumn));
        out += " 0V";
        out += kHeight;
    }
    out += "\"/>";
    for (const TimelineMark& mark : timeline.outcomes) {
        open_mark(out, mark_class(mark.kind), mark, "1", "9", from);
        if (mark.runs == 0) {
            out += "a run goes on, ";
        } else {
            append_number(out, mark.runs);
            out += mark.runs == 1 ? " run, " : " runs, ";
        }
        out += mark.kind == MarkKind::retried ? "with retries" : mark_class(mark.kind);
        if (mark.kind == MarkKind::retried || mark.kind == MarkKind::failed ||
            mark.kind == MarkKind::stopped)
            out += " at worst";
        out += "</title></rect>";
    }
    for (const TimelineMark& mark : timeline.late) {
        open_mark(out, "late", mark, "11", "3", from);
        append_number(out, mark.runs);
        out += mark.runs == 1 ? " late start, up to " : " late starts, up to ";
        out += approximate_duration(mark.max_lateness);
        out += " late</title></rect>";
    }
    out += "</svg>";
}

}  // namespace tasksrun

// A task's 24-hour timeline: 5-minute columns, the most serious outcome per column, marks
// merged, late starts marked, and the SVG it is drawn as.
#include "observe/timeline.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

// 12:02:30 UTC: the strip ends at 12:05, its columns start at 12:05 the day before.
const Instant kNow = parse_rfc3339("2025-03-02T12:02:30Z").value();

RunRecord run(Instant started, std::string outcome, Duration duration = 10s,
              std::uint32_t attempts = 1, Duration lateness = 0s) {
    return RunRecord{.task = std::string(1, 't'),
                     .scheduled = started - lateness,
                     .started = started,
                     .lateness = lateness,
                     .duration = duration,
                     .attempts = attempts,
                     .outcome = std::move(outcome),
                     .failure_class = {},
                     .message = {}};
}

Timeline timeline_of(const std::vector<RunRecord>& runs) {
    TimelineCollector collector(kNow);
    for (const RunRecord& r : runs) collector.add(r);
    TaskHistories histories = collector.finish();
    REQUIRE(histories.size() == (runs.empty() ? 0U : 1U));
    return runs.empty() ? Timeline{} : histories.at("t").timeline;
}

TEST_CASE("timeline: how a run from history is drawn", "[observe]") {
    CHECK(mark_kind(run(kNow, "ok")) == MarkKind::ok);
    CHECK(mark_kind(run(kNow, "ok", 1s, 3)) == MarkKind::retried);
    CHECK(mark_kind(run(kNow, "retrying")) == MarkKind::retried);
    CHECK(mark_kind(run(kNow, "failed", 1s, 3)) == MarkKind::failed);
    CHECK(mark_kind(run(kNow, "running")) == MarkKind::running);
    for (const char* outcome : {"cancelled", "stopped", "interrupted"})
        CHECK(mark_kind(run(kNow, outcome)) == MarkKind::stopped);
}

TEST_CASE("timeline: runs fall in 5-minute columns aligned on the clock", "[observe]") {
    const Timeline timeline = timeline_of({run(at("2025-03-01T12:05:00Z"), "ok"),  // first column
                                           run(at("2025-03-02T12:00:10Z"), "failed")});  // last
    REQUIRE(timeline.outcomes.size() == 2);
    CHECK(timeline.outcomes[0].first_column == 0);
    CHECK(timeline.outcomes[0].columns == 1);
    CHECK(timeline.outcomes[0].kind == MarkKind::ok);
    CHECK(timeline.outcomes[1].first_column == kTimelineColumns - 1);
    CHECK(timeline.outcomes[1].kind == MarkKind::failed);
    CHECK(timeline.late.empty());
}

TEST_CASE("timeline: runs outside the last 24 hours are left out", "[observe]") {
    const Timeline timeline =
        timeline_of({run(at("2025-03-01T11:00:00Z"), "ok"), run(at("2025-03-02T12:10:00Z"), "ok")});
    CHECK(timeline.outcomes.empty());
}

TEST_CASE("timeline: a run that began before the strip shows where it goes on", "[observe]") {
    const Timeline timeline = timeline_of({run(at("2025-03-01T11:00:00Z"), "ok", 2h)});
    REQUIRE(timeline.outcomes.size() == 1);
    CHECK(timeline.outcomes[0].first_column == 0);
    CHECK(timeline.outcomes[0].columns == 12);  // 12:05 to 13:00
    CHECK(timeline.outcomes[0].runs == 0);      // it did not start here
}

TEST_CASE("timeline: adjacent columns alike merge, and the most serious outcome wins a column",
          "[observe]") {
    std::vector<RunRecord> runs;
    // Every minute from 00:00 to 00:59: ok, except one failure at 00:31 and a retried run
    // at 00:47.
    for (int minute = 0; minute < 60; ++minute) {
        const Instant t = at("2025-03-02T00:00:00Z") + std::chrono::minutes{minute};
        runs.push_back(minute == 31   ? run(t, "failed")
                       : minute == 47 ? run(t, "ok", 10s, 2)
                                      : run(t, "ok"));
    }
    const Timeline timeline = timeline_of(runs);
    // Columns from 2025-03-01T12:05: 00:00 is column 143.
    REQUIRE(timeline.outcomes.size() == 5);
    const auto& m = timeline.outcomes;
    CHECK((m[0].first_column == 143 && m[0].columns == 6 && m[0].kind == MarkKind::ok &&
           m[0].runs == 30));
    CHECK((m[1].first_column == 149 && m[1].columns == 1 && m[1].kind == MarkKind::failed &&
           m[1].runs == 5));
    CHECK((m[2].first_column == 150 && m[2].columns == 2 && m[2].kind == MarkKind::ok));
    CHECK((m[3].first_column == 152 && m[3].columns == 1 && m[3].kind == MarkKind::retried));
    CHECK((m[4].first_column == 153 && m[4].columns == 2 && m[4].kind == MarkKind::ok));
    std::uint32_t total = 0;
    for (const TimelineMark& mark : m) total += mark.runs;
    CHECK(total == 60);
}

TEST_CASE("timeline: late starts are marked with the worst lateness", "[observe]") {
    const Timeline timeline =
        timeline_of({run(at("2025-03-02T06:00:00Z"), "ok", 1s, 1, 999ms),  // not late enough
                     run(at("2025-03-02T06:01:00Z"), "ok", 1s, 1, 3s),
                     run(at("2025-03-02T06:06:00Z"), "ok", 1s, 1, 2min),
                     run(at("2025-03-02T09:00:00Z"), "ok", 1s, 1, 1s)});
    REQUIRE(timeline.late.size() == 2);
    CHECK(timeline.late[0].columns == 2);
    CHECK(timeline.late[0].runs == 2);
    CHECK(timeline.late[0].max_lateness == 2min);
    CHECK(timeline.late[1].runs == 1);
    CHECK(timeline.late[1].max_lateness == 1s);
}

TEST_CASE("timeline: a running run lasts until now", "[observe]") {
    RunRecord running = run(at("2025-03-02T11:00:00Z"), "running");
    running.duration.reset();
    const Timeline timeline = timeline_of({running});
    REQUIRE(timeline.outcomes.size() == 1);
    CHECK(timeline.outcomes[0].kind == MarkKind::running);
    CHECK(timeline.outcomes[0].first_column + timeline.outcomes[0].columns == kTimelineColumns);
}

TEST_CASE("timeline: the strip starts 24 hours before the end of the column that holds now",
          "[observe]") {
    CHECK(TimelineCollector(kNow).since() == at("2025-03-01T12:05:00Z"));
    CHECK(TimelineCollector(at("2025-03-02T12:05:00Z")).since() == at("2025-03-01T12:10:00Z"));
}

TEST_CASE("timeline: runs are collected task by task, with each task's newest finished run",
          "[observe]") {
    TimelineCollector collector(kNow);
    RunRecord a1 = run(at("2025-03-02T10:00:00Z"), "failed");
    a1.task = "a";
    a1.id = 1;
    a1.failure_class = "exit:3";
    RunRecord a2 = run(at("2025-03-02T11:00:00Z"), "running");
    a2.task = "a";
    a2.id = 5;
    a2.duration.reset();  // the newest, but not finished
    RunRecord b1 = run(at("2025-03-02T09:00:00Z"), "ok");
    b1.task = "b";
    b1.id = 3;
    b1.loop = 7;
    for (const RunRecord* r : {&a1, &a2, &b1}) collector.add(*r);
    const TaskHistories histories = collector.finish();
    REQUIRE(histories.size() == 2);
    const TaskHistory& a = histories.at("a");
    CHECK(a.timeline.outcomes.size() == 2);
    REQUIRE(a.newest.has_value());
    CHECK(a.newest->outcome == "failed");
    CHECK(a.newest->failure_class == "exit:3");
    CHECK(a.newest->ended == at("2025-03-02T10:00:10Z"));
    const TaskHistory& b = histories.at("b");
    REQUIRE(b.newest.has_value());
    CHECK(b.newest->loop == 7);
    CHECK(b.newest->duration == 10s);
    CHECK(b.timeline.outcomes.size() == 1);
    CHECK(b.timeline.outcomes[0].kind == MarkKind::ok);
}

TEST_CASE("timeline: the SVG draws each mark with its class and a title", "[observe]") {
    const Timeline timeline = timeline_of({run(at("2025-03-02T06:01:00Z"), "failed", 1s, 1, 3s)});
    std::string svg;
    append_timeline_svg(svg, timeline, "a<b", kNow);
    CHECK(svg.starts_with("<svg class=\"timeline\" viewBox=\"0 0 288 14\""));
    CHECK(svg.ends_with("</svg>"));
    CHECK(svg.find("aria-label=\"runs of a&lt;b in the last 24 hours\"") != std::string::npos);
    // 18:00 (column 71), 00:00 (143), 06:00 (215) and 12:00 (287) UTC.
    CHECK(svg.find("<path class=\"grid\" d=\"M71 0V14M143 0V14M215 0V14M287 0V14\"/>") !=
          std::string::npos);
    CHECK(svg.find("<rect class=\"failed\" x=\"215\" y=\"1\" width=\"1\" height=\"9\">"
                   "<title>06:00\xe2\x80\x93"
                   "06:05 UTC: 1 run, failed at worst</title></rect>") != std::string::npos);
    CHECK(svg.find("<rect class=\"late\" x=\"215\" y=\"11\" width=\"1\" height=\"3\">"
                   "<title>06:00\xe2\x80\x93"
                   "06:05 UTC: 1 late start, up to 3.0s late</title>") != std::string::npos);
}

}  // namespace
}  // namespace tasksrun

#include "observe/status_page.hpp"

#include <algorithm>

#include "observe/html_text.hpp"
#include "observe/timeline.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

// The page asks the browser to reload it this often, so that a phone left on it stays current.
constexpr int kRefreshSeconds = 60;

constexpr std::string_view kStyle = R"css(
:root{color-scheme:light dark;--ok:#2f9e44;--retried:#e8a200;--failed:#e03131;--stopped:#868e96;
--running:#1c7ed6;--late:#ae3ec9;--bg:#f1f3f5;--fg:#212529;--card:#fff;--muted:#5c636a}
@media (prefers-color-scheme:dark){:root{--bg:#141517;--fg:#e9ecef;--card:#25262b;--muted:#a6adb4}}
*{box-sizing:border-box}
body{margin:0;padding:1rem;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:var(--bg);color:var(--fg)}
h1{margin:0;font-size:1.35rem}
.summary,.note{margin:.3rem 0 .6rem;color:var(--muted)}
.note{color:var(--fg)}
.failing a{color:var(--failed)}
.legend{display:flex;flex-wrap:wrap;gap:.2rem .9rem;margin:0 0 1rem;font-size:.85rem}
.legend i{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;vertical-align:-.1rem;
margin-right:.3rem}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,24rem),1fr));gap:.75rem}
.task{background:var(--card);border-radius:8px;padding:.7rem .9rem;border-left:5px solid var(--stopped);
min-width:0}
.task.last-ok{border-left-color:var(--ok)}.task.last-retried{border-left-color:var(--retried)}
.task.last-failed{border-left-color:var(--failed)}.task.last-running{border-left-color:var(--running)}
.head{display:flex;justify-content:space-between;align-items:baseline;gap:.5rem}
h2{font-size:1rem;margin:0;overflow-wrap:anywhere}
.state{font-size:.8rem;padding:.05rem .5rem;border-radius:999px;background:var(--bg);white-space:nowrap}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1rem .7rem;margin:.45rem 0 .55rem;font-size:.875rem}
dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
svg.timeline{display:block;width:100%;height:30px;background:var(--bg);border-radius:3px}
.timeline .grid{stroke:var(--muted);stroke-width:1;vector-effect:non-scaling-stroke;opacity:.5}
.timeline rect{stroke-width:2px;vector-effect:non-scaling-stroke}
rect.ok{stroke:var(--ok)}rect.retried{stroke:var(--retried)}rect.failed{stroke:var(--failed)}
rect.stopped{stroke:var(--stopped)}rect.running{stroke:var(--running)}rect.late{stroke:var(--late)}
.ok{fill:var(--ok);background:var(--ok)}.retried{fill:var(--retried);background:var(--retried)}
.failed{fill:var(--failed);background:var(--failed)}.stopped{fill:var(--stopped);background:var(--stopped)}
.running{fill:var(--running);background:var(--running)}.late{fill:var(--late);background:var(--late)}
.o-ok{color:var(--ok)}.o-failed{color:var(--failed)}.o-retrying{color:var(--retried)}
.axis{display:flex;justify-content:space-between;font-size:.7rem;color:var(--muted)}
)css";

constexpr std::pair<MarkKind, std::string_view> kLegend[] = {
    {MarkKind::ok, "ok"},           {MarkKind::retried, "ok after retries, or retrying"},
    {MarkKind::failed, "failed"},   {MarkKind::stopped, "cancelled, stopped or interrupted"},
    {MarkKind::running, "running"},
};

void text(std::string& out, std::string_view value) {
    append_html_escaped(out, value);
}

std::string when(Instant at) {
    return format_utc(std::chrono::floor<std::chrono::seconds>(at));
}

// "2025-03-02 09:30:00 UTC": RFC 3339 with room to wrap, for people.
std::string shown(Instant at) {
    std::string text = when(at);
    text[10] = ' ';
    text.back() = ' ';
    return text + "UTC";
}

void append_time(std::string& out, Instant at, Instant now) {
    out += "<time datetime=\"";
    out += when(at);
    out += "\">";
    out += shown(at);
    out += "</time> (";
    out += at >= now ? "in " + approximate_duration(at - now)
                     : approximate_duration(now - at) + " ago";
    out += ')';
}

// The task's last outcome: from the running daemon, else the newest run in the database.
std::optional<LastOutcome> last_outcome(const TaskSnapshot& task, const TaskHistory* history) {
    if (task.last) return task.last;
    if (history == nullptr || !history->newest) return std::nullopt;
    const RecentOutcome& newest = *history->newest;
    return LastOutcome{.loop = newest.loop,
                       .outcome = newest.outcome,
                       .failure_class = newest.failure_class,
                       .ended = newest.ended,
                       .duration = newest.duration};
}

const TaskHistory* history_of(const TaskSnapshot& task, const PageHistory& history) {
    const auto found = history.tasks.find(task.name);
    return found == history.tasks.end() ? nullptr : &found->second;
}

bool failing(const TaskSnapshot& task, const TaskHistory* history) {
    const auto last = last_outcome(task, history);
    return task.failed || (last && last->outcome == "failed");
}

void append_header(std::string& out, const DaemonSnapshot& snapshot, const PageHistory& history,
                   std::string_view version) {
    const std::size_t running = std::ranges::count_if(
        snapshot.tasks, [](const TaskSnapshot& task) { return task.running > 0; });
    out += "<header><h1>tasksrun on ";
    text(out, snapshot.host);
    out += "</h1><p class=\"summary\">";
    out += std::to_string(snapshot.tasks.size());
    out += snapshot.tasks.size() == 1 ? " task, " : " tasks, ";
    out += std::to_string(running);
    out += " running";
    if (snapshot.stopping) out += "; <strong>shutting down</strong>";
    if (snapshot.cluster) {
        out += "; replica ";
        text(out, snapshot.cluster->replica);
        out += snapshot.cluster->connected
                   ? " of a cluster"
                   : " of a cluster, <strong>database unreachable: nothing fires</strong>";
    }
    out += ". Version ";
    text(out, version);
    out += ", at ";
    out += shown(snapshot.now);
    out += ".</p>";
    bool first = true;
    for (const TaskSnapshot& task : snapshot.tasks) {
        if (!failing(task, history_of(task, history))) continue;
        out += first ? "<p class=\"failing\">Failing: " : ", ";
        first = false;
        out += "<a href=\"#task-";
        text(out, task.name);
        out += "\">";
        text(out, task.name);
        out += "</a>";
    }
    if (!first) out += "</p>";
    if (history.unavailable) {
        out += "<p class=\"note\">No timelines: ";
        text(out, *history.unavailable);
        out += "</p>";
    }
    out += "<p class=\"legend\">";
    for (const auto& [kind, meaning] : kLegend) {
        out += "<span><i class=\"";
        out += mark_class(kind);
        out += "\"></i>";
        out += meaning;
        out += "</span>";
    }
    out +=
        "<span><i class=\"late\"></i>started 1s or more late</span>"
        "<span>Timelines: the last 24 h, now at the right; lines at 00, 06, 12 and 18 UTC."
        "</span></p></header>";
}

void append_task(std::string& out, const TaskSnapshot& task, const TaskHistory* history,
                 bool with_timeline, Instant now) {
    const auto last = last_outcome(task, history);
    out += "<section class=\"task";
    if (last) {
        out += " last-";
        out += last->outcome == "retrying" ? "retried" : last->outcome;
    }
    out += "\" id=\"task-";
    text(out, task.name);
    out += "\"><div class=\"head\"><h2>";
    text(out, task.name);
    out += "</h2><span class=\"state\">";
    text(out, task.state);
    if (task.failed) out += ", failed";
    out += "</span></div><dl><dt>schedule</dt><dd>";
    text(out, task.schedule);
    out += "</dd><dt>next run</dt><dd>";
    if (task.next_run) {
        append_time(out, *task.next_run, now);
    } else {
        out += "not scheduled";
    }
    out += "</dd><dt>last run</dt><dd>";
    if (last) {
        out += "<span class=\"o-";
        text(out, last->outcome);
        out += "\">";
        text(out, last->outcome);
        out += "</span>";
        if (!last->failure_class.empty()) {
            out += " (";
            text(out, last->failure_class);
            out += ')';
        }
        out += ", ended ";
        append_time(out, last->ended, now);
        out += ", took ";
        out += approximate_duration(last->duration);
    } else {
        out += "none yet";
    }
    out += "</dd></dl>";
    if (with_timeline) {
        append_timeline_svg(out, history != nullptr ? history->timeline : Timeline{}, task.name,
                            now);
        out += "<div class=\"axis\"><span>24 h ago</span><span>12 h</span><span>now</span></div>";
    }
    out += "</section>";
}

}  // namespace

std::string render_status_page(const DaemonSnapshot& snapshot, const PageHistory& history,
                               std::string_view version) {
    std::string out;
    out.reserve(2048 + snapshot.tasks.size() * 1500);
    out +=
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"refresh\" content=\"";
    out += std::to_string(kRefreshSeconds);
    out += "\"><title>tasksrun on ";
    text(out, snapshot.host);
    out += "</title><style>";
    out += kStyle;
    out += "</style></head><body>";
    append_header(out, snapshot, history, version);
    out += "<main>";
    for (const TaskSnapshot& task : snapshot.tasks) {
        append_task(out, task, history_of(task, history), !history.unavailable, snapshot.now);
    }
    if (snapshot.tasks.empty()) out += "<p>No task is enabled in the loaded config.</p>";
    out += "</main></body></html>\n";
    return out;
}

}  // namespace tasksrun

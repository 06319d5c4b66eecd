// The status page: every task with its state, next run, last outcome and timeline; escaped;
// self-contained; never a message, an output or a URL.
#include "observe/status_page.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

const Instant kNow = parse_rfc3339("2025-03-02T12:02:30Z").value();
const std::string kSecretUrl = "https://discord.com/api/webhooks/123/SECRET-TOKEN";

DaemonSnapshot snapshot() {
    DaemonSnapshot s{.now = kNow, .host = "box<1>"};
    s.tasks.push_back(TaskSnapshot{.name = "backup",
                                   .state = "waiting",
                                   .schedule = "at 03:00 (Europe/Berlin)",
                                   .next_run = at("2025-03-03T02:00:00Z"),
                                   .last = LastOutcome{.loop = 4,
                                                       .outcome = "failed",
                                                       .failure_class = "exit:3",
                                                       .ended = kNow - 3min,
                                                       .duration = 12s}});
    s.tasks.push_back(TaskSnapshot{
        .name = "report", .state = "idle", .schedule = "cron \"0 9 * * MON-FRI\" <UTC> & more"});
    return s;
}

PageHistory history() {
    RunRecord failed;
    failed.id = 7;
    failed.task = "backup";
    failed.started = kNow - 3min - 12s;
    failed.scheduled = failed.started;
    failed.duration = 12s;
    failed.outcome = "failed";
    failed.failure_class = "exit:3";
    failed.message = "curl " + kSecretUrl + " said no";  // never shown
    RunRecord report_run = failed;
    report_run.id = 3;
    report_run.task = "report";
    report_run.outcome = "ok";
    report_run.failure_class = "";
    report_run.started = kNow - 2h;
    TimelineCollector timelines(kNow);
    timelines.add(failed);
    timelines.add(report_run);
    return {.tasks = timelines.finish()};
}

TEST_CASE("status page: a self-contained document that a phone can show", "[observe]") {
    const std::string page = render_status_page(snapshot(), history(), "1.2.3");
    CHECK(page.starts_with("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"));
    CHECK(page.find("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">") !=
          std::string::npos);
    CHECK(page.ends_with("</html>\n"));
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("<link") == std::string::npos);
    CHECK(page.find("url(") == std::string::npos);
    CHECK(page.find("@import") == std::string::npos);
    CHECK(page.find("@font-face") == std::string::npos);
    CHECK(page.find("src=") == std::string::npos);
    CHECK(page.find("://") == std::string::npos);  // no address of any kind
}

TEST_CASE("status page: every task with its state, schedule, next run and last outcome",
          "[observe]") {
    const std::string page = render_status_page(snapshot(), history(), "1.2.3");
    CHECK(page.find("<h2>backup</h2><span class=\"state\">waiting</span>") != std::string::npos);
    CHECK(page.find("<dd>at 03:00 (Europe/Berlin)</dd>") != std::string::npos);
    CHECK(page.find("<time datetime=\"2025-03-03T02:00:00Z\">2025-03-03 02:00:00 UTC</time> (in "
                    "13h57m)") != std::string::npos);
    CHECK(
        page.find("<span class=\"o-failed\">failed</span> (exit:3), ended <time "
                  "datetime=\"2025-03-02T11:59:30Z\">2025-03-02 11:59:30 UTC</time> (3m ago), took "
                  "12.0s") != std::string::npos);
    CHECK(page.find("<h2>report</h2><span class=\"state\">idle</span>") != std::string::npos);
    CHECK(page.find("<dd>cron &quot;0 9 * * MON-FRI&quot; &lt;UTC&gt; &amp; more</dd>") !=
          std::string::npos);
    CHECK(page.find("<dd>not scheduled</dd>") != std::string::npos);
    // The daemon has not seen `report` run; its newest run in the database stands in.
    CHECK(page.find("<span class=\"o-ok\">ok</span>, ended") != std::string::npos);
    CHECK(page.find("Failing: <a href=\"#task-backup\">backup</a></p>") != std::string::npos);
    CHECK(page.find("2 tasks, 0 running. Version 1.2.3, at 2025-03-02 12:02:30 UTC.") !=
          std::string::npos);
    CHECK(page.find("<title>tasksrun on box&lt;1&gt;</title>") != std::string::npos);
    CHECK(page.find("<h1>tasksrun on box&lt;1&gt;</h1>") != std::string::npos);
}

TEST_CASE("status page: a task whose newest run in the database failed is listed as failing",
          "[observe]") {
    DaemonSnapshot restarted = snapshot();
    restarted.tasks[0].last.reset();  // the daemon has not run it since it started
    const std::string page = render_status_page(restarted, history(), "1");
    CHECK(page.find("Failing: <a href=\"#task-backup\">backup</a></p>") != std::string::npos);
    CHECK(page.find("<section class=\"task last-failed\" id=\"task-backup\">") !=
          std::string::npos);
}

TEST_CASE("status page: a timeline per task, drawn from history", "[observe]") {
    const std::string page = render_status_page(snapshot(), history(), "1");
    std::size_t svgs = 0;
    for (std::size_t at = 0; (at = page.find("<svg class=\"timeline\"", at)) != std::string::npos;
         ++at)
        ++svgs;
    CHECK(svgs == 2);
    CHECK(page.find("<rect class=\"failed\"") != std::string::npos);
    CHECK(page.find("<rect class=\"ok\"") != std::string::npos);
}

TEST_CASE("status page: never a run's message or a secret", "[observe]") {
    const std::string page = render_status_page(snapshot(), history(), "1");
    CHECK(page.find("SECRET-TOKEN") == std::string::npos);
    CHECK(page.find("said no") == std::string::npos);
}

TEST_CASE("status page: without history, tasks are shown and the page says why", "[observe]") {
    const std::string page = render_status_page(
        snapshot(), PageHistory{.unavailable = "no state_dir & no $STATE_DIRECTORY"}, "1");
    CHECK(page.find("No timelines: no state_dir &amp; no $STATE_DIRECTORY</p>") !=
          std::string::npos);
    CHECK(page.find("<svg class=\"timeline\"") == std::string::npos);
    CHECK(page.find("<h2>report</h2>") != std::string::npos);
    CHECK(page.find("<dd>none yet</dd>") != std::string::npos);
}

TEST_CASE("status page: a daemon shutting down says so, and so does an empty config", "[observe]") {
    DaemonSnapshot empty{.now = kNow, .stopping = true};
    const std::string page = render_status_page(empty, PageHistory{}, "1");
    CHECK(page.find("<strong>shutting down</strong>") != std::string::npos);
    CHECK(page.find("No task is enabled in the loaded config.") != std::string::npos);
}

TEST_CASE("status page: a cluster replica whose database does not answer says nothing fires",
          "[observe]") {
    DaemonSnapshot snapshot{.now = kNow};
    snapshot.cluster = DaemonSnapshot::Cluster{.replica = "b<1>", .connected = true};
    std::string page = render_status_page(snapshot, PageHistory{}, "1");
    CHECK(page.find("replica b&lt;1&gt; of a cluster.") != std::string::npos);
    snapshot.cluster->connected = false;
    page = render_status_page(snapshot, PageHistory{}, "1");
    CHECK(page.find("<strong>database unreachable: nothing fires</strong>") != std::string::npos);
}

}  // namespace
}  // namespace tasksrun

// Every key of SPEC section 3 on its happy path: parsed into the Config the runtime will read.
#include "config/loader.hpp"

#include <catch2/catch.hpp>
#include <csignal>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

Config load(const std::string& text) {
    LoadResult result = parse_config(text, "t.toml");
    INFO([&] {
        std::string all;
        for (const auto& line : result.diagnostics.formatted()) all += line + "\n";
        return all;
    }());
    REQUIRE(result.config.has_value());
    return std::move(*result.config);
}

TEST_CASE("config: daemon settings and their defaults", "[config]") {
    const Config defaults = load("[[task]]\nname = \"t\"\nseconds = 1\nrun = \"true\"\n");
    CHECK(defaults.settings.zone.name() == "UTC");
    CHECK_FALSE(defaults.settings.state_dir.has_value());
    CHECK(defaults.settings.shutdown_timeout == 30s);

    const Config c = load(R"(
[tasksrun]
timezone = "Europe/Berlin"
state_dir = "/var/lib/x"
shutdown_timeout = "1m"
[[task]]
name = "t"
time = "09:00"
run = "true"
)");
    CHECK(c.settings.zone.name() == "Europe/Berlin");
    CHECK(c.settings.state_dir == "/var/lib/x");
    CHECK(c.settings.shutdown_timeout == 1min);
    // The default zone applies to a task without its own.
    CHECK(c.tasks[0].schedule.wall_clock()->zone().name() == "Europe/Berlin");
}

TEST_CASE("config: a task with every loop key", "[config]") {
    const Config c = load(R"(
[[task]]
name = "full.task-1"
seconds = 30
minutes = 1.5
hours = 1
count = 3
run_at_start = false
reconnect = false
retry_on = ["network", "exit:any", "exit:3", "signal"]
max_retries = 4
on_error = "stop"
overlap = 3
misfire = "run-once"
misfire_grace = "10m"
jitter = "2s"
timeout = 45
enabled = false
command = ["/bin/echo", "hi"]
cwd = "/tmp"
env = { A = "1", B = "two" }
success_codes = [0, 3]
kill_signal = "SIGINT"
kill_timeout = "3s"
)");
    REQUIRE(c.tasks.size() == 1);
    const TaskConfig& t = c.tasks[0];
    CHECK(t.name == "full.task-1");
    CHECK(t.schedule.interval()->period() == 30s + 90s + 1h);
    CHECK(t.count == 3U);
    CHECK_FALSE(t.run_at_start);
    CHECK_FALSE(t.reconnect);
    REQUIRE(t.retry_on->size() == 4);
    CHECK(to_string((*t.retry_on)[1]) == "exit:any");
    CHECK(t.max_retries == 4U);
    CHECK(t.on_error == AfterError::stop_loop);
    CHECK(t.max_concurrent == 3U);
    CHECK(t.misfire == Misfire::run_once);
    CHECK(t.misfire_grace == 10min);
    CHECK(t.jitter == 2s);
    CHECK(t.timeout == Duration{45s});
    CHECK_FALSE(t.enabled);
    const auto& command = std::get<CommandAction>(t.action);
    CHECK(command.argv == std::vector<std::string>{"/bin/echo", "hi"});
    CHECK_FALSE(command.shell.has_value());
    CHECK(command.cwd == "/tmp");
    CHECK(command.env == std::map<std::string, std::string>{{"A", "1"}, {"B", "two"}});
    CHECK(command.success_codes == std::vector<int>{0, 3});
    CHECK(command.kill_signal == SIGINT);
    CHECK(command.kill_timeout == 3s);
}

TEST_CASE("config: defaults of a task", "[config]") {
    const Config c = load("[[task]]\nname = \"t\"\nseconds = 0\nrun = \"true\"\n");
    const TaskConfig& t = c.tasks[0];
    CHECK(t.schedule.interval()->period() == 0s);
    CHECK(t.run_at_start);
    CHECK(t.reconnect);
    CHECK_FALSE(t.count.has_value());
    CHECK(t.max_retries == 10U);  // retries end (SPEC 10.1)
    CHECK_FALSE(t.on_error_first);
    CHECK_FALSE(t.ping.has_value());
    CHECK(t.on_error == AfterError::continue_loop);
    CHECK(t.max_concurrent == 1U);
    CHECK(t.misfire == Misfire::skip);
    CHECK(t.misfire_grace == 1h);
    CHECK(t.jitter == 0s);
    CHECK_FALSE(t.timeout.has_value());  // commands have no default timeout
    CHECK(t.enabled);
    std::vector<std::string> retry;
    for (const auto& p : *t.retry_on) retry.push_back(to_string(p));
    CHECK(retry ==
          std::vector<std::string>{"network", "timeout", "http-429", "http-5xx", "exit:75"});
    const auto& command = std::get<CommandAction>(t.action);
    CHECK(command.shell == "true");
    CHECK(command.success_codes == std::vector<int>{0});
    CHECK(command.kill_signal == SIGTERM);
    CHECK(command.kill_timeout == 10s);
}

TEST_CASE("config: time and cron schedules with zones and DST policies", "[config]") {
    const Config c = load(R"(
[[task]]
name = "times"
time = ["03:00", 15:00:30, "03:00:00"]
timezone = "America/New_York"
dst_gap = "skip"
dst_fold = "last"
run = "true"
[[task]]
name = "cron"
cron = "0 9 * * MON-FRI"
timezone = "Australia/Sydney"
dst_gap = "at-transition"
run = "true"
[[task]]
name = "overlap"
minutes = 1
overlap = true
run = "true"
)");
    const auto* times = c.tasks[0].schedule.wall_clock();
    REQUIRE(times != nullptr);
    CHECK(std::get<TimesOfDay>(times->pattern()).times() ==
          std::vector<std::chrono::seconds>{3h, 15h + 30s});
    CHECK(times->zone().name() == "America/New_York");
    CHECK(times->policy().gap == DstGap::skip);
    CHECK(times->policy().fold == DstFold::last);
    const auto* cron = c.tasks[1].schedule.wall_clock();
    CHECK(std::get<CronExpression>(cron->pattern()).text() == "0 9 * * MON-FRI");
    CHECK(cron->policy().gap == DstGap::at_transition);
    CHECK(cron->policy().fold == DstFold::first);
    CHECK(c.tasks[2].max_concurrent == kUnlimitedOverlap);
}

TEST_CASE("config: time entries may name their own zones", "[config]") {
    const Config c = load(R"(
[[task]]
name = "mixed"
time = ["09:00 Europe/Berlin", "09:00 America/New_York", "12:00", "10:00 UTC", 08:00:00]
run = "true"
[[task]]
name = "elsewhere"
time = ["09:00 Europe/Berlin", "18:00 Europe/Berlin"]
timezone = "Asia/Tokyo"
run = "true"
)");
    const WallClockSchedule& mixed = *c.tasks[0].schedule.wall_clock();
    // Entries without a zone, or naming the task's (UTC by default), run in the task's zone.
    CHECK(std::get<TimesOfDay>(mixed.pattern()).times() ==
          std::vector<std::chrono::seconds>{8h, 10h, 12h});
    CHECK(mixed.zone().name() == "UTC");
    REQUIRE(mixed.elsewhere().size() == 2);
    CHECK(mixed.elsewhere()[0].zone.name() == "Europe/Berlin");
    CHECK(mixed.elsewhere()[1].zone.name() == "America/New_York");
    CHECK(c.tasks[0].schedule.describe() ==
          "at 08:00, 10:00, 12:00 (UTC); 09:00 (Europe/Berlin); 09:00 (America/New_York)");
    // 2025-06-02 in summer: Berlin's 09:00 is 07:00 UTC, New York's is 13:00 UTC.
    Instant t = test::at("2025-06-02T00:00:00Z");
    std::vector<std::string> firings;
    for (int i = 0; i < 5; ++i) {
        t = *mixed.next_after(t);
        firings.push_back(format_utc(t) + " " + mixed.zone_of_slot(t).name());
    }
    CHECK(firings ==
          std::vector<std::string>{"2025-06-02T07:00:00Z Europe/Berlin", "2025-06-02T08:00:00Z UTC",
                                   "2025-06-02T10:00:00Z UTC", "2025-06-02T12:00:00Z UTC",
                                   "2025-06-02T13:00:00Z America/New_York"});

    const WallClockSchedule& elsewhere = *c.tasks[1].schedule.wall_clock();
    CHECK(std::get<TimesOfDay>(elsewhere.pattern()).times().empty());
    CHECK(elsewhere.zone().name() == "Asia/Tokyo");
    CHECK(c.tasks[1].schedule.describe() == "at 09:00, 18:00 (Europe/Berlin)");
    CHECK(elsewhere.next_after(test::at("2025-06-02T00:00:00Z")) ==
          test::at("2025-06-02T07:00:00Z"));
}

TEST_CASE("config: H in cron hashes the task's name, and ctl gets the same values", "[config]") {
    const Config c = load(R"(
[[task]]
name = "backup"
cron = "H H * * *"
run = "true"
[[task]]
name = "report"
cron = "H H * * *"
run = "true"
)");
    const Instant from = test::at("2025-06-02T00:00:00Z");
    for (const TaskConfig& task : c.tasks) {
        INFO(task.name);
        const auto direct = CronExpression::parse("H H * * *", task.name);
        REQUIRE(direct.has_value());
        const WallClockSchedule expected(*direct, Zone::utc(), {});
        CHECK(task.schedule.next_after(from, from) == expected.next_after(from));
        toml::table keys;
        keys.insert("cron", "H H * * *");
        const auto changed = parse_schedule_keys(keys, Zone::utc(), task.name);
        REQUIRE(changed.has_value());
        CHECK(changed->next_after(from, from) == expected.next_after(from));
    }
}

TEST_CASE("config: @reboot is a schedule of its own, refused by change-interval", "[config]") {
    const LoadResult r = parse_config(R"(
[[task]]
name = "boot"
cron = " @reboot "
timezone = "Europe/Berlin"
run = "true"
)",
                                      "t.toml");
    REQUIRE(r.config.has_value());
    const Schedule& schedule = r.config->tasks[0].schedule;
    CHECK(schedule.at_startup());
    CHECK(schedule.describe() == "cron \"@reboot\"");
    CHECK_FALSE(
        schedule.next_after(test::at("2025-06-02T00:00:00Z"), test::at("2025-06-02T00:00:00Z")));
    CHECK(r.diagnostics.formatted() ==
          std::vector<std::string>{"t.toml:5:1: warning: \"timezone\" has no effect on @reboot"});

    toml::table keys;
    keys.insert("cron", "@reboot");
    const auto changed = parse_schedule_keys(keys, Zone::utc(), "boot");
    REQUIRE_FALSE(changed.has_value());
    CHECK(changed.error() ==
          "@reboot fires when a loop starts, so it cannot replace a running loop's schedule");
}

TEST_CASE("config: webhooks from env, file or literal, and hooks", "[config]") {
    const Config c = load(R"(
[webhooks.team]
url_env = "TEAM_URL"
[webhooks.ops]
url_file = "/run/credentials/tasksrun.service/ops"
kind = "slack"
[webhooks.hook]
url = "https://example.com/hook"

[[task]]
name = "backup"
time = "03:00"
run = "backup.sh"
on_error = "continue"
[task.before_loop]
run = "echo starting"
[task.after_loop]
command = ["/bin/true"]
timeout = "5s"
[task.on_success]
webhook = "ops"
text = "ok after {{duration}}"

[[task]]
name = "report"
hours = 24
webhook = "hook"
json = { text = "report {{loop}}" }
[task.on_error]
webhook = "team"
content = "failed (exit {{exit_code}}): {{output_tail}}"
then = "stop"
)");
    CHECK(c.webhooks.at("team").url.from == UrlSource::From::env);
    CHECK(c.webhooks.at("team").url.value == "TEAM_URL");
    CHECK_FALSE(c.webhooks.at("team").kind.has_value());
    CHECK(c.webhooks.at("ops").url.from == UrlSource::From::file);
    CHECK(c.webhooks.at("ops").kind == WebhookKind::slack);
    CHECK(c.webhooks.at("hook").url.from == UrlSource::From::literal);

    const TaskConfig& backup = c.tasks[0];
    CHECK(backup.on_error == AfterError::continue_loop);
    REQUIRE(backup.hooks.get(HookKind::before_loop) != nullptr);
    CHECK(std::get<CommandAction>(backup.hooks.get(HookKind::before_loop)->action).shell ==
          "echo starting");
    REQUIRE(backup.hooks.get(HookKind::after_loop) != nullptr);
    CHECK(backup.hooks.get(HookKind::after_loop)->timeout == Duration{5s});
    REQUIRE(backup.hooks.get(HookKind::on_success) != nullptr);
    const auto& success = std::get<WebhookAction>(backup.hooks.get(HookKind::on_success)->action);
    CHECK(success.kind == WebhookKind::slack);
    CHECK(*success.json_body == nlohmann::json{{"text", "ok after {{duration}}"}});
    CHECK(backup.hooks.get(HookKind::on_success)->timeout == Duration{30s});  // webhook default

    const TaskConfig& report = c.tasks[1];
    CHECK(report.timeout == Duration{30s});  // webhook default
    const auto& post = std::get<WebhookAction>(report.action);
    CHECK(post.kind == WebhookKind::generic);
    CHECK(*post.json_body == nlohmann::json{{"text", "report {{loop}}"}});
    // The hook table form of on_error carries the policy in `then`.
    CHECK(report.on_error == AfterError::stop_loop);
    REQUIRE(report.hooks.get(HookKind::on_error) != nullptr);
    const auto& alert = std::get<WebhookAction>(report.hooks.get(HookKind::on_error)->action);
    CHECK(alert.kind == WebhookKind::discord);  // inferred from the body keys: the URL is a secret
    CHECK(alert.json_body->at("content") == "failed (exit {{exit_code}}): {{output_tail}}");
}

TEST_CASE("config: a Discord body with every key", "[config]") {
    const Config c = load(R"(
[webhooks.d]
url = "https://discord.com/api/webhooks/123/token"
[[task]]
name = "post"
cron = "@daily"
webhook = "d"
content = "hello {{task}}"
username = "tasksrun"
avatar_url = "https://example.com/a.png"
tts = false
flags = 4
thread_id = 42
wait = true
headers = { X-Trace = "1" }
allowed_mentions = { parse = ["users"], roles = ["7"] }
[[task.embeds]]
title = "Daily"
description = "run {{loop}}"
color = 0x00FF00
footer = { text = "from {{hostname}}" }
fields = [{ name = "a", value = "b", inline = true }]
)");
    const auto& post = std::get<WebhookAction>(c.tasks[0].action);
    CHECK(post.kind == WebhookKind::discord);
    CHECK(post.wait);
    CHECK(post.thread_id == "42");
    CHECK(post.headers == std::map<std::string, std::string>{{"X-Trace", "1"}});
    const nlohmann::json expected = {
        {"content", "hello {{task}}"},
        {"username", "tasksrun"},
        {"avatar_url", "https://example.com/a.png"},
        {"tts", false},
        {"flags", 4},
        {"allowed_mentions", {{"parse", {"users"}}, {"roles", {"7"}}}},
        {"embeds",
         {{{"title", "Daily"},
           {"description", "run {{loop}}"},
           {"color", 0x00FF00},
           {"footer", {{"text", "from {{hostname}}"}}},
           {"fields", {{{"name", "a"}, {"value", "b"}, {"inline", true}}}}}}}};
    CHECK(*post.json_body == expected);
}

TEST_CASE("config: Discord mentions are off unless the task turns them on", "[config]") {
    const Config c = load(R"(
[webhooks.d]
url_env = "D"
kind = "discord"
[[task]]
name = "post"
minutes = 5
webhook = "d"
content = "@everyone hi"
)");
    CHECK(std::get<WebhookAction>(c.tasks[0].action).json_body->at("allowed_mentions") ==
          nlohmann::json{{"parse", nlohmann::json::array()}});
}

TEST_CASE("config: generic webhooks with a method, a raw body, or none", "[config]") {
    const Config c = load(R"(
[webhooks.ping]
url = "https://hc-ping.example/uuid"
[[task]]
name = "ping"
minutes = 5
webhook = "ping"
method = "GET"
[[task]]
name = "raw"
minutes = 5
webhook = "ping"
body = "task={{task}}"
headers = { Content-Type = "text/plain" }
)");
    const auto& ping = std::get<WebhookAction>(c.tasks[0].action);
    CHECK(ping.method == "GET");
    CHECK_FALSE(ping.json_body.has_value());
    CHECK_FALSE(ping.raw_body.has_value());
    CHECK(std::get<WebhookAction>(c.tasks[1].action).raw_body == "task={{task}}");
}

TEST_CASE("config: warnings do not make a config invalid", "[config]") {
    const LoadResult r = parse_config(R"(
[[task]]
name = "t"
seconds = 5
timezone = "Europe/Berlin"
run = "true"
[[task]]
name = "u"
time = "10:00"
run_at_start = true
run = "true"
)",
                                      "t.toml");
    REQUIRE(r.config.has_value());
    CHECK(r.diagnostics.formatted() ==
          std::vector<std::string>{
              "t.toml:5:1: warning: \"timezone\" has no effect on an interval schedule",
              "t.toml:10:1: warning: \"run_at_start\" applies to interval schedules only; time and "
              "cron tasks "
              "wait for their next slot"});
}

TEST_CASE("config: cluster keys and their defaults", "[config]") {
    const Config alone = load("[[task]]\nname = \"t\"\nseconds = 1\nrun = \"true\"\n");
    CHECK_FALSE(alone.settings.cluster.has_value());
    CHECK(alone.tasks[0].offset == 0s);
    CHECK(alone.tasks[0].on_crash == OnCrash::skip);

    const Config c = load(R"(
[tasksrun]
cluster_url_env = "TASKSRUN_DATABASE_URL"
replica = "host-2"
[[task]]
name = "t"
minutes = 5
offset = "90s"
on_crash = "rerun"
run = "true"
)");
    REQUIRE(c.settings.cluster.has_value());
    CHECK(c.settings.cluster->url.from == UrlSource::From::env);
    CHECK(c.settings.cluster->url.value == "TASKSRUN_DATABASE_URL");
    CHECK(c.settings.cluster->replica == "host-2");
    CHECK(c.tasks[0].offset == 90s);
    CHECK(c.tasks[0].on_crash == OnCrash::rerun);

    const Config file = load(R"(
[tasksrun]
cluster_url_file = "/run/credentials/tasksrun.service/db"
[[task]]
name = "t"
cron = "0 9 * * *"
run = "true"
)");
    REQUIRE(file.settings.cluster.has_value());
    CHECK(file.settings.cluster->url.from == UrlSource::From::file);
    CHECK_FALSE(file.settings.cluster->replica.has_value());  // the host name, at run time
}

}  // namespace
}  // namespace tasksrun

// The corpus of wrong configs a user would write: each gives every expected diagnostic with its
// position, and no Config.
#include <catch2/catch.hpp>

#include "config/loader.hpp"

namespace tasksrun {
namespace {

struct BadConfig {
    const char* what;
    std::string toml;
    std::vector<std::string> diagnostics;
};

const std::string kTask = "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n";

const std::string kHeader =
    "[webhooks.team]\nurl_env = \"TEAM\"\nkind = \"discord\"\n\n";  // 4 lines

std::vector<BadConfig> corpus() {
    return {
        {"wrong type for an interval",
         "[[task]]\nname = \"t\"\nseconds = \"10\"\nrun = \"x\"\n",
         {"t.toml:3:11: \"seconds\" must be a number, not a string"}},
        {"wrong type for count",
         "[[task]]\nname = \"t\"\nseconds = 1\ncount = \"3\"\nrun = \"x\"\n",
         {"t.toml:4:9: \"count\" must be an integer, not a string"}},
        {"wrong type for a flag",
         "[[task]]\nname = \"t\"\nseconds = 1\nenabled = \"yes\"\nrun = \"x\"\n",
         {"t.toml:4:11: \"enabled\" must be true or false, not a string"}},
        {"unknown key with a suggestion",
         "[[task]]\nname = \"t\"\nsecods = 10\nrun = \"x\"\n",
         {"t.toml:1:1: task has no schedule: set \"seconds\", \"minutes\" or \"hours\", or "
          "\"time\", or \"cron\"",
          "t.toml:3:1: unknown key \"secods\" in [[task]]; did you mean \"seconds\"?"}},
        {"unknown key without a suggestion",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\nbanana = 1\n",
         {"t.toml:5:1: unknown key \"banana\" in [[task]]"}},
        {"unknown top-level table",
         "[tasksrn]\ntimezone = \"UTC\"\n[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n",
         {"t.toml:1:2: unknown key \"tasksrn\" in the top level; did you mean \"tasksrun\"?"}},
        {"unknown daemon key",
         "[tasksrun]\nshutdown_timout = \"5s\"\n[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n",
         {"t.toml:2:1: unknown key \"shutdown_timout\" in [tasksrun]; did you mean "
          "\"shutdown_timeout\"?"}},
        {"two schedules",
         "[[task]]\nname = \"t\"\nseconds = 10\ncron = \"* * * * *\"\nrun = \"x\"\n",
         {"t.toml:4:1: a task has exactly one schedule, but seconds/minutes/hours and cron are "
          "both set"}},
        {"time and cron",
         "[[task]]\nname = \"t\"\ntime = \"10:00\"\ncron = \"* * * * *\"\nrun = \"x\"\n",
         {"t.toml:4:1: a task has exactly one schedule, but time and cron are both set"}},
        {"no action",
         "[[task]]\nname = \"t\"\nseconds = 10\n",
         {"t.toml:1:1: a task has no action: set one of \"webhook\", \"command\" or \"run\""}},
        {"two actions",
         "[[task]]\nname = \"t\"\nseconds = 10\nrun = \"x\"\ncommand = [\"y\"]\n",
         {"t.toml:5:1: \"run\" and \"command\" are both set; a task has exactly one action"}},
        {"no name", "[[task]]\nseconds = 10\nrun = \"x\"\n", {"t.toml:1:1: task has no \"name\""}},
        {"bad name",
         "[[task]]\nname = \"my task\"\nseconds = 10\nrun = \"x\"\n",
         {"t.toml:2:8: task name \"my task\" may only use letters, digits, '_', '.' and '-'"}},
        {"bad zone",
         "[[task]]\nname = \"t\"\ntime = \"10:00\"\ntimezone = \"Europe/Pariss\"\nrun = \"x\"\n",
         {"t.toml:4:12: unknown time zone \"Europe/Pariss\"; did you mean \"Europe/Paris\"?"}},
        {"bad default zone",
         "[tasksrun]\ntimezone = \"Mars/Base\"\n[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n",
         {"t.toml:2:12: unknown time zone \"Mars/Base\""}},
        {"negative interval",
         "[[task]]\nname = \"t\"\nminutes = -5\nrun = \"x\"\n",
         {"t.toml:3:11: \"minutes\" must not be negative"}},
        {"count 0",
         "[[task]]\nname = \"t\"\nseconds = 1\ncount = 0\nrun = \"x\"\n",
         {"t.toml:4:9: \"count\" must be greater than 0"}},
        {"negative max_retries",
         "[[task]]\nname = \"t\"\nseconds = 1\nmax_retries = -1\nrun = \"x\"\n",
         {"t.toml:4:15: \"max_retries\" must be a number of retries (0 or more) or "
          "\"unlimited\""}},
        {"malformed cron",
         "[[task]]\nname = \"t\"\ncron = \"0 25 * * *\"\nrun = \"x\"\n",
         {"t.toml:3:11: cron \"0 25 * * *\": hour field: 25 is out of range 0-23"}},
        {"cron that never fires",
         "[[task]]\nname = \"t\"\ncron = \"0 0 30 2 *\"\nrun = \"x\"\n",
         {"t.toml:3:13: cron \"0 0 30 2 *\": this expression never fires: no selected month has "
          "the selected days"}},
        {"cron with too few fields",
         "[[task]]\nname = \"t\"\ncron = \"0 0 *\"\nrun = \"x\"\n",
         {"t.toml:3:9: cron \"0 0 *\": expected 5 fields (minute hour day-of-month month "
          "day-of-week) or 6 "
          "with seconds first, found 3"}},
        {"bad time of day",
         "[[task]]\nname = \"t\"\ntime = [\"10:00\", \"24:00\", \"9:00\"]\nrun = \"x\"\n",
         {"t.toml:3:18: \"time\" entries must be valid times of day \"HH:MM\" or \"HH:MM:SS\" "
          "(00:00 to 23:59:59), optionally followed by a zone (\"09:00 Europe/Berlin\")",
          "t.toml:3:27: \"time\" entry \"9:00\" needs two digits for the hour: write \"09:00\""}},
        {"unknown zone in a time entry, pointed at the zone",
         "[[task]]\nname = \"t\"\ntime = [\"09:00\", \"09:00 Europe/Berln\"]\nrun = \"x\"\n",
         {"t.toml:3:25: unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?"}},
        {"a time entry with two spaces before its zone",
         "[[task]]\nname = \"t\"\ntime = \"09:00  Mars/Olympus\"\nrun = \"x\"\n",
         {"t.toml:3:16: unknown time zone \"Mars/Olympus\""}},
        {"a time entry with something after its zone",
         "[[task]]\nname = \"t\"\ntime = \"09:00 UTC now\"\nrun = \"x\"\n",
         {"t.toml:3:8: \"time\" entries must be valid times of day \"HH:MM\" or \"HH:MM:SS\" "
          "(00:00 to 23:59:59), optionally followed by a zone (\"09:00 Europe/Berlin\")"}},
        {"sixth Friday",
         "[[task]]\nname = \"t\"\ncron = \"0 9 * * FRI#6\"\nrun = \"x\"\n",
         {"t.toml:3:21: cron \"0 9 * * FRI#6\": day-of-week field: week \"6\" after # must be "
          "1-5 or L (the last)"}},
        {"nearest weekday to a day no month has",
         "[[task]]\nname = \"t\"\ncron = \"0 9 32W * *\"\nrun = \"x\"\n",
         {"t.toml:3:13: cron \"0 9 32W * *\": day-of-month field: 32 is out of range 1-31"}},
        {"forty days before the last",
         "[[task]]\nname = \"t\"\ncron = \"0 9 L-40 * *\"\nrun = \"x\"\n",
         {"t.toml:3:15: cron \"0 9 L-40 * *\": day-of-month field: \"L-40\": the days before the "
          "last must be 0-30"}},
        {"hashed range backwards",
         "[[task]]\nname = \"t\"\ncron = \"H(50-10) 9 * * *\"\nrun = \"x\"\n",
         {"t.toml:3:11: cron \"H(50-10) 9 * * *\": minute field: H range \"50-10\" runs "
          "backwards"}},
        {"? in the hour field",
         "[[task]]\nname = \"t\"\ncron = \"0 ? * * *\"\nrun = \"x\"\n",
         {"t.toml:3:11: cron \"0 ? * * *\": hour field: \"?\" belongs in the day-of-month or "
          "day-of-week field"}},
        {"W after a range",
         "[[task]]\nname = \"t\"\ncron = \"0 9 15W-20 * *\"\nrun = \"x\"\n",
         {"t.toml:3:13: cron \"0 9 15W-20 * *\": day-of-month field: \"15W-20\": W follows one "
          "day, as in 15W or LW"}},
        {"the 4th Monday that is also the 1st",
         "[[task]]\nname = \"t\"\ncron = \"1 1 */100 * MON#4\"\nrun = \"x\"\n",
         {"t.toml:3:13: cron \"1 1 */100 * MON#4\": this expression never fires: no selected "
          "month has the selected days"}},
        {"an unknown macro",
         "[[task]]\nname = \"t\"\ncron = \"@startup\"\nrun = \"x\"\n",
         {"t.toml:3:9: cron \"@startup\": unknown macro \"@startup\" (use @hourly, @daily, "
          "@weekly, @monthly, @yearly or @reboot)"}},
        {"empty time list",
         "[[task]]\nname = \"t\"\ntime = []\nrun = \"x\"\n",
         {"t.toml:3:8: \"time\" needs at least one time of day"}},
        {"duplicate names",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n[[task]]\nname = \"t\"\nseconds = "
         "2\nrun = \"y\"\n",
         {"t.toml:6:8: duplicate task name \"t\" (first used at line 2)"}},
        {"bad duration",
         "[[task]]\nname = \"t\"\nseconds = 1\ntimeout = \"10 minutes\"\nrun = \"x\"\n",
         {"t.toml:4:11: \"timeout\": duration \"10 minutes\" needs a unit after each number (us, "
          "ms, s, m, h, d)"}},
        {"bad enum with suggestion",
         "[[task]]\nname = \"t\"\ntime = \"10:00\"\ndst_gap = \"shfit\"\nrun = \"x\"\n",
         {"t.toml:4:11: \"dst_gap\" must be one of \"shift\", \"at-transition\", \"skip\", not "
          "\"shfit\"; did you mean \"shift\"?"}},
        {"overlap 1",
         "[[task]]\nname = \"t\"\nseconds = 1\noverlap = 1\nrun = \"x\"\n",
         {"t.toml:4:11: \"overlap\" must be true, false, or a number of concurrent iterations "
          "greater than 1"}},
        {"bad retry class",
         "[[task]]\nname = \"t\"\nseconds = 1\nretry_on = [\"http-500\"]\nrun = \"x\"\n",
         {"t.toml:4:13: \"retry_on\": unknown failure class \"http-500\" (classes: network, "
          "timeout, http-429, "
          "http-5xx, http-4xx, exit:N, exit:any, signal, spawn); did you mean \"http-5xx\"?"}},
        {"template in a shell command",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"echo {{task}}\"\n",
         {"t.toml:4:7: placeholders are not expanded in commands, so that no value can inject "
          "shell code; "
          "read $TASKSRUN_TASK, $TASKSRUN_LOOP, $TASKSRUN_SCHEDULED_AT ... from the environment "
          "instead"}},
        {"command keys on a webhook",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"team\"\ncontent = \"x\"\ncwd "
                   "= \"/tmp\"\n",
         {"t.toml:10:1: \"cwd\" does not apply to a Discord webhook (its body keys are content, "
          "username, "
          "avatar_url, tts, embeds, allowed_mentions, thread_id, flags, wait, attach_output)"}},
        {"webhook keys on a command",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\ncontent = \"hi\"\n",
         {"t.toml:5:1: \"content\" does not apply to a command action"}},
        {"Slack keys on a Discord webhook",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"team\"\ntext = \"x\"\n",
         {"t.toml:5:1: a Discord message needs \"content\" or \"embeds\"",
          "t.toml:9:1: \"text\" does not apply to a Discord webhook (its body keys are content, "
          "username, "
          "avatar_url, tts, embeds, allowed_mentions, thread_id, flags, wait, attach_output)"}},
        {"unknown webhook",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"teem\"\ncontent = \"x\"\n",
         {"t.toml:8:11: no webhook named \"teem\" in [webhooks]; did you mean \"team\"?"}},
        {"Discord content over 2000 characters",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"team\"\ncontent = \"" +
             std::string(2001, 'x') + "\"\n",
         {"t.toml:9:11: content is 2001 characters; Discord allows at most 2000"}},
        {"Discord content over the limit even without its placeholders",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"team\"\ncontent = \"{{task}}" +
             std::string(2001, 'x') + "\"\n",
         {"t.toml:9:11: content is 2001 characters; Discord allows at most 2000"}},
        {"unknown embed key",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = "
                   "\"team\"\n[[task.embeds]]\ntitel = \"x\"\n",
         {"t.toml:10:1: unknown key \"titel\" in an embed; did you mean \"title\"?"}},
        {"hook-only placeholder in a task body",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"team\"\ncontent = \"exit "
                   "{{exit_code}}\"\n",
         {"t.toml:9:11: placeholder {{exit_code}} is only available in hooks (on_error, "
          "on_success, on_recover, after_loop, before_loop)"}},
        {"unknown placeholder in a hook",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n[task.on_error]\nwebhook = "
                   "\"team\"\n"
                   "content = \"{{exit_cod}}\"\n",
         {"t.toml:11:11: unknown placeholder {{exit_cod}}; did you mean \"exit_code\"?"}},
        {"hook without an action",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n[task.after_loop]\ntimeout = \"1s\"\n",
         {"t.toml:5:1: [task.after_loop] has no action: set one of \"webhook\", \"command\" or "
          "\"run\""}},
        {"bad on_error policy",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\non_error = \"halt\"\n",
         {"t.toml:5:12: \"on_error\" must be one of \"continue\", \"stop\", not \"halt\""}},
        {"webhook without a URL source",
         "[webhooks.w]\nkind = \"discord\"\n[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n",
         {"t.toml:1:1: [webhooks.w] has no URL: set url_env (a variable holding the URL), "
          "url_file (a file holding it) or url"}},
        {"webhook without a URL source, used by a task: one error, not a cascade",
         "[webhooks.w]\nkind = \"discord\"\n[[task]]\nname = \"t\"\nseconds = 1\nwebhook = "
         "\"w\"\ncontent = \"hi\"\n",
         {"t.toml:1:1: [webhooks.w] has no URL: set url_env (a variable holding the URL), "
          "url_file (a file holding it) or url"}},
        {"ping without a URL source",
         "[pings.hc]\n[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\nping = \"hc\"\n",
         {"t.toml:1:1: [pings.hc] has no URL: set url_env (a variable holding the URL), "
          "url_file (a file holding it) or url"}},
        {"unknown ping name with a suggestion",
         "[pings.backup]\nurl_env = \"HC\"\n[[task]]\nname = \"t\"\nseconds = 1\nrun = "
         "\"x\"\nping = \"bakup\"\n",
         {"t.toml:7:8: no ping named \"bakup\" in [pings]; did you mean \"backup\"?"}},
        {"unknown key in a ping",
         "[pings.hc]\nurl_env = \"HC\"\ngrace = \"5m\"\n[[task]]\nname = \"t\"\nseconds = "
         "1\nrun = \"x\"\n",
         {"t.toml:3:1: unknown key \"grace\" in [pings.hc]"}},
        {"max_retries neither a number nor unlimited",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\nmax_retries = \"forever\"\n",
         {"t.toml:5:15: \"max_retries\" must be a number of retries (0 or more) or "
          "\"unlimited\""}},
        {"on_error when misspelt",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n[task.on_error]\nrun = "
         "\"y\"\nwhen = \"frist\"\n",
         {"t.toml:7:8: \"when\" must be one of \"always\", \"first\", not \"frist\"; did "
          "you mean \"first\"?"}},
        {"recovery placeholders outside on_recover",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n[task.on_error]\nwebhook = "
                   "\"team\"\ncontent = \"down since {{down_since}}\"\n",
         {"t.toml:11:11: placeholder {{down_since}} is only available in the on_recover hook"}},
        {"a webhook task with a zero interval would flood",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 0\nwebhook = \"team\"\ncontent = \"hi\"\n",
         {"t.toml:7:1: an interval of 0 on a webhook task would post again as soon as each post "
          "ends, flooding the endpoint; give it an interval (seconds = 1 or more)"}},
        {"attach_output on a webhook task's own action",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nwebhook = \"team\"\ncontent = "
                   "\"hi\"\nattach_output = true\n",
         {"t.toml:10:1: attach_output needs a command's output: put it in an on_error, "
          "on_success or on_recover hook of a command task"}},
        {"attach_output on a hook that follows no iteration",
         kHeader + "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n[task.after_loop]\n"
                   "webhook = \"team\"\ncontent = \"bye\"\nattach_output = true\n",
         {"t.toml:12:1: attach_output needs a command's output: only on_error, on_success and "
          "on_recover hooks have one"}},
        {"output_limit out of range and misspelt",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\noutput_limit = \"1GiB\"\n[[task]]\n"
         "name = \"u\"\nseconds = 1\nrun = \"x\"\noutput_limit = \"1 MB\"\n",
         {"t.toml:5:16: \"output_limit\": must be between 8KiB and 64MiB",
          "t.toml:10:16: \"output_limit\": \"1 MB\" has no unit tasksrun knows; use B, KiB, "
          "MiB, GiB, kB, MB or GB"}},
        {"Slack text over its limit",
         "[webhooks.s]\nurl_env = \"S\"\nkind = \"slack\"\n[[task]]\nname = \"t\"\nseconds = "
         "1\nwebhook = \"s\"\ntext = \"" +
             std::string(40001, 'x') + "\"\n",
         {"t.toml:8:8: text is 40001 characters; Slack allows at most 40000"}},
        {"a time of day with a one-digit hour",
         "[[task]]\nname = \"t\"\ntime = [\"9:00\", \"7:30 Europe/Berlin\"]\nrun = \"x\"\n",
         {"t.toml:3:9: \"time\" entry \"9:00\" needs two digits for the hour: write \"09:00\"",
          "t.toml:3:17: \"time\" entry \"7:30 Europe/Berlin\" needs two digits for the hour: "
          "write \"07:30 Europe/Berlin\""}},
        {"webhook with two URL sources",
         "[webhooks.w]\nurl = \"https://a\"\nurl_env = \"A\"\n[[task]]\nname = \"t\"\nseconds = "
         "1\nrun = \"x\"\n",
         {"t.toml:3:1: [webhooks.w] needs exactly one of url, url_env or url_file"}},
        {"webhook url_file relative",
         "[webhooks.w]\nurl_file = \"secret.txt\"\n[[task]]\nname = \"t\"\nseconds = 1\nrun = "
         "\"x\"\n",
         {"t.toml:2:12: \"url_file\" must be an absolute path"}},
        {"bad kill signal",
         "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\nkill_signal = \"SIGFOO\"\n",
         {"t.toml:5:15: \"kill_signal\": unknown signal \"SIGFOO\" (use a name such as \"SIGTERM\" "
          "or \"SIGINT\", or a number)"}},
        {"no tasks",
         "[tasksrun]\ntimezone = \"UTC\"\n",
         {"t.toml:1:1: no tasks: add a [[task]] table"}},
        {"task as a table",
         "[task]\nname = \"t\"\n",
         {"t.toml:1:1: \"task\" must be an array of tables: write [[task]]"}},
        {"both cluster URL sources",
         "[tasksrun]\ncluster_url_env = \"DB\"\ncluster_url_file = \"/run/db\"\n" + kTask,
         {"t.toml:3:1: [tasksrun] needs exactly one of cluster_url_env or cluster_url_file"}},
        {"a literal cluster URL (it would hold the password)",
         "[tasksrun]\ncluster_url = \"postgresql://u:p@db/x\"\n" + kTask,
         {"t.toml:2:1: unknown key \"cluster_url\" in [tasksrun]"}},
        {"a cluster URL file that is not absolute",
         "[tasksrun]\ncluster_url_file = \"db.url\"\n" + kTask,
         {"t.toml:2:20: \"cluster_url_file\" must be an absolute path"}},
        {"a cluster URL variable that is no variable name",
         "[tasksrun]\ncluster_url_env = \"postgresql://db\"\n" + kTask,
         {"t.toml:2:19: \"cluster_url_env\" must name an environment variable, not "
          "\"postgresql://db\""}},
        {"a replica without a cluster",
         "[tasksrun]\nreplica = \"a\"\n" + kTask,
         {"t.toml:2:1: \"replica\" names this daemon in a cluster: set cluster_url_env or "
          "cluster_url_file too"}},
        {"a replica name with a space",
         "[tasksrun]\ncluster_url_env = \"DB\"\nreplica = \"host 2\"\n" + kTask,
         {"t.toml:3:11: replica name \"host 2\" may only use letters, digits, '_', '.' and "
          "'-'"}},
        {"offset on a cron task",
         "[[task]]\nname = \"t\"\ncron = \"* * * * *\"\noffset = \"5s\"\nrun = \"x\"\n",
         {"t.toml:4:10: \"offset\" moves an interval grid (seconds, minutes, hours); a time or "
          "cron schedule has fixed instants"}},
        {"offset as long as the interval",
         "[[task]]\nname = \"t\"\nminutes = 1\noffset = \"60s\"\nrun = \"x\"\n",
         {"t.toml:4:10: \"offset\" must be shorter than the interval (1m)"}},
        {"a zero interval in cluster mode",
         "[tasksrun]\ncluster_url_env = \"DB\"\n[[task]]\nname = \"t\"\nminutes = 0\nrun = \"x\"\n",
         {"t.toml:5:1: an interval of 0 has no slots for cluster replicas to share; give it an "
          "interval (seconds = 1 or more)"}},
        {"unknown on_crash",
         "[[task]]\nname = \"t\"\nseconds = 1\non_crash = \"retry\"\nrun = \"x\"\n",
         {"t.toml:4:12: \"on_crash\" must be one of \"skip\", \"rerun\", not \"retry\""}},
        {"TOML syntax error",
         "[[task]]\nname = \"t\"\nseconds = \n",
         {"t.toml:3:11: Error while parsing key-value pair: expected value, saw '\\n'"}},
        {"TOML duplicate key",
         "[[task]]\nname = \"t\"\nname = \"u\"\n",
         {"t.toml:3:8: Error while parsing key-value pair: cannot redefine existing string "
          "'name'"}},
    };
}

TEST_CASE("config: every wrong config is refused with all its problems and positions", "[config]") {
    for (const BadConfig& bad : corpus()) {
        INFO(bad.what);
        const LoadResult result = parse_config(bad.toml, "t.toml");
        CHECK_FALSE(result.config.has_value());
        CHECK(result.diagnostics.formatted() == bad.diagnostics);
    }
}

TEST_CASE("config: all problems of a file are reported, not just the first", "[config]") {
    const LoadResult result = parse_config(
        "[[task]]\nname = \"a\"\nseconds = -1\nrun = \"x\"\n[[task]]\nname = \"b\"\ncron = \"61 * "
        "* * *\"\n"
        "run = \"x\"\n[[task]]\nname = \"c\"\ntime = \"10:00\"\ntimezone = \"Nowhere/City\"\n",
        "t.toml");
    CHECK(result.diagnostics.error_count() == 4);
    CHECK_FALSE(result.config.has_value());
}

TEST_CASE("config: an unreadable file is one diagnostic for the file", "[config]") {
    const LoadResult result = load_config_file("/nonexistent/tasks.toml");
    CHECK_FALSE(result.config.has_value());
    CHECK(result.diagnostics.formatted() ==
          std::vector<std::string>{
              "/nonexistent/tasks.toml: cannot read the config file: No such file or directory"});
}

}  // namespace
}  // namespace tasksrun

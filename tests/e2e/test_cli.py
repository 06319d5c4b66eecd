"""`tasksrun check`, `next` and the command line itself, run as a user would run them."""
import json
import os
import unittest

from support import SOURCE_DIR, TasksrunTestCase

SCHEDULES = """
    [tasksrun]
    timezone = "America/New_York"

    [[task]]
    name = "heartbeat"
    seconds = 90
    run = "true"

    [[task]]
    name = "report"
    time = ["02:30", "18:00"]
    run = "true"

    [[task]]
    name = "standup"
    cron = "0 9 * * MON-FRI"
    timezone = "Europe/Berlin"
    run = "true"

    [[task]]
    name = "paused"
    minutes = 1
    enabled = false
    run = "true"
"""

FROM = "2025-03-08T12:00:00Z"  # a Saturday, the day before New York's spring-forward


class CheckTest(TasksrunTestCase):
    def test_valid_config_prints_one_line_per_task(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("check", "-c", path, "--from", FROM)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertEqual(result.stdout,
            "heartbeat  every 1m30s                             next 2025-03-08T12:00:00Z (2025-03-08T07:00:00-05:00)\n"
            "report     at 02:30, 18:00 (America/New_York)      next 2025-03-08T23:00:00Z (2025-03-08T18:00:00-05:00)\n"
            "standup    cron \"0 9 * * MON-FRI\" (Europe/Berlin)  next 2025-03-10T08:00:00Z (2025-03-10T09:00:00+01:00)\n"
            "paused     every 1m                                disabled\n"
            f"{path}: 4 tasks valid (1 disabled)\n")

    def test_invalid_config_lists_every_problem_and_exits_78(self):
        path = self.write_config("""
            [[task]]
            name = "a"
            secods = 10
            run = "echo hi"

            [[task]]
            name = "a"
            cron = "0 0 30 2 *"
            timezone = "America/New_Yrok"
            command = ["true"]
        """)
        result = self.tasksrun("check", "-c", path)
        self.assertEqual(result.returncode, 78)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr,
            f"{path}:1:1: task has no schedule: set \"seconds\", \"minutes\" or \"hours\", or \"time\", or \"cron\"\n"
            f"{path}:3:1: unknown key \"secods\" in [[task]]; did you mean \"seconds\"?\n"
            f"{path}:7:8: duplicate task name \"a\" (first used at line 2)\n"
            f"{path}:8:13: cron \"0 0 30 2 *\": this expression never fires: no selected month has the selected days\n"
            f"{path}:9:12: unknown time zone \"America/New_Yrok\"; did you mean \"America/New_York\"?\n"
            f"{path}: 5 errors; nothing was started\n")

    def test_warnings_are_printed_but_the_config_is_valid(self):
        path = self.write_config("""
            [[task]]
            name = "t"
            seconds = 5
            timezone = "Europe/Berlin"
            run = "true"
        """)
        result = self.tasksrun("check", "-c", path, "--from", FROM)
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stderr, f"{path}:4:1: warning: \"timezone\" has no effect on an interval schedule\n")

    def test_missing_file(self):
        result = self.tasksrun("check", "-c", "/nonexistent.toml")
        self.assertEqual(result.returncode, 78)
        self.assertEqual(result.stderr,
            "/nonexistent.toml: cannot read the config file: No such file or directory\n"
            "/nonexistent.toml: 1 error; nothing was started\n")

    def test_a_directory_given_as_config_says_so(self):
        result = self.tasksrun("check", "-c", self.dir)
        self.assertEqual(result.returncode, 78)
        self.assertEqual(result.stderr,
            f"{self.dir}: is a directory, not a config file; give the file itself "
            f"({self.dir}/tasks.toml, say)\n{self.dir}: 1 error; nothing was started\n")

    def test_shipped_example_config_is_valid(self):
        result = self.tasksrun("check", "-c", os.path.join(SOURCE_DIR, "config", "tasks.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertIn("6 tasks valid (3 disabled)", result.stdout)

    def test_config_from_environment(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("check", "--from", FROM, env={"TASKSRUN_CONFIG": path})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn(f"{path}: 4 tasks valid", result.stdout)


class NextTest(TasksrunTestCase):
    def test_text_lists_utc_and_local_per_task(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("next", "-c", path, "-n", "3", "--from", FROM)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout,
            "heartbeat  2025-03-08T12:00:00Z  2025-03-08T07:00:00-05:00\n"
            "heartbeat  2025-03-08T12:01:30Z  2025-03-08T07:01:30-05:00\n"
            "heartbeat  2025-03-08T12:03:00Z  2025-03-08T07:03:00-05:00\n"
            "report     2025-03-08T23:00:00Z  2025-03-08T18:00:00-05:00\n"
            "report     2025-03-09T07:30:00Z  2025-03-09T03:30:00-04:00\n"
            "report     2025-03-09T22:00:00Z  2025-03-09T18:00:00-04:00\n"
            "standup    2025-03-10T08:00:00Z  2025-03-10T09:00:00+01:00\n"
            "standup    2025-03-11T08:00:00Z  2025-03-11T09:00:00+01:00\n"
            "standup    2025-03-12T08:00:00Z  2025-03-12T09:00:00+01:00\n")

    def test_json_lines_match_the_spec_format(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("next", "-c", path, "--task", "report", "-n", "2", "--json", "--from", FROM)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout,
            '{"task":"report","at":"2025-03-08T23:00:00Z","local":"2025-03-08T18:00:00-05:00"}\n'
            '{"task":"report","at":"2025-03-09T07:30:00Z","local":"2025-03-09T03:30:00-04:00"}\n')
        for line in result.stdout.splitlines():
            json.loads(line)

    def test_default_count_is_five(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("next", "-c", path, "--task", "standup", "--from", FROM)
        self.assertEqual(len(result.stdout.splitlines()), 5)

    def test_disabled_task_only_when_named(self):
        path = self.write_config(SCHEDULES)
        everything = self.tasksrun("next", "-c", path, "--from", FROM).stdout
        self.assertNotIn("paused", everything)
        named = self.tasksrun("next", "-c", path, "--task", "paused", "-n", "1", "--from", FROM)
        self.assertEqual(named.stdout, "paused  2025-03-08T12:00:00Z  2025-03-08T07:00:00-05:00\n")

    def test_interval_without_run_at_start_waits_one_interval_and_count_caps(self):
        path = self.write_config("""
            [[task]]
            name = "later"
            seconds = 0.25
            run_at_start = false
            count = 2
            run = "true"
        """)
        result = self.tasksrun("next", "-c", path, "-n", "5", "--from", "2025-01-01T00:00:00.5Z")
        self.assertEqual(result.stdout,
            "later  2025-01-01T00:00:00.75Z  2025-01-01T00:00:00.75+00:00\n"
            "later  2025-01-01T00:00:01Z  2025-01-01T00:00:01+00:00\n")

    def test_a_cluster_replica_shows_the_interval_grid_from_the_epoch_plus_offset(self):
        # Every replica computes the same slots, whenever it started: 18:15 UTC, not `from` + 6h.
        path = self.write_config("""
            [tasksrun]
            cluster_url_env = "TASKSRUN_TEST_CLUSTER_URL"
            replica = "a"

            [[task]]
            name = "backup"
            hours = 6
            offset = "15m"
            run = "true"
        """)
        result = self.tasksrun("next", "-c", path, "-n", "2", "--from", "2025-01-01T13:07:41Z",
                               env={"TASKSRUN_TEST_CLUSTER_URL": "host=/nonexistent dbname=x"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout,
            "backup  2025-01-01T18:15:00Z  2025-01-01T18:15:00+00:00\n"
            "backup  2025-01-02T00:15:00Z  2025-01-02T00:15:00+00:00\n")

    def test_each_time_entry_shows_in_its_own_zone(self):
        # 2025-03-09 is New York's spring-forward; Berlin changes on 2025-03-30.
        path = self.write_config("""
            [[task]]
            name = "mixed"
            time = ["09:00 Europe/Berlin", "09:00 America/New_York", "12:00"]
            timezone = "Asia/Tokyo"
            run = "true"
        """)
        result = self.tasksrun("next", "-c", path, "-n", "4", "--json", "--from", "2025-03-08T00:00:00Z")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout,
            '{"task":"mixed","at":"2025-03-08T03:00:00Z","local":"2025-03-08T12:00:00+09:00"}\n'
            '{"task":"mixed","at":"2025-03-08T08:00:00Z","local":"2025-03-08T09:00:00+01:00"}\n'
            '{"task":"mixed","at":"2025-03-08T14:00:00Z","local":"2025-03-08T09:00:00-05:00"}\n'
            '{"task":"mixed","at":"2025-03-09T03:00:00Z","local":"2025-03-09T12:00:00+09:00"}\n')
        check = self.tasksrun("check", "-c", path, "--from", "2025-03-08T04:00:00Z")
        self.assertIn("at 12:00 (Asia/Tokyo); 09:00 (Europe/Berlin); 09:00 (America/New_York)", check.stdout)
        self.assertIn("next 2025-03-08T08:00:00Z (2025-03-08T09:00:00+01:00)", check.stdout)

    def test_new_york_keeps_dst_after_2037(self):
        path = self.write_config("""
            [[task]]
            name = "late"
            cron = "45 2 * * *"
            timezone = "America/New_York"
            run = "true"
        """)
        result = self.tasksrun("next", "-c", path, "-n", "3", "--from", "2040-03-09T12:00:00Z")
        self.assertEqual(result.stdout,
            "late  2040-03-10T07:45:00Z  2040-03-10T02:45:00-05:00\n"
            "late  2040-03-11T07:45:00Z  2040-03-11T03:45:00-04:00\n"
            "late  2040-03-12T06:45:00Z  2040-03-12T02:45:00-04:00\n")

    def test_reboot_shows_one_firing_at_the_start(self):
        path = self.write_config("""
            [[task]]
            name = "boot"
            cron = "@reboot"
            run = "true"
        """)
        result = self.tasksrun("next", "-c", path, "--from", "2025-03-08T00:00:00Z")
        self.assertEqual(result.stdout, "boot  2025-03-08T00:00:00Z  2025-03-08T00:00:00+00:00\n")

    def test_unknown_task_is_a_usage_error(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("next", "-c", path, "--task", "reprot")
        self.assertEqual(result.returncode, 64)
        self.assertEqual(result.stderr, f"tasksrun next: no task named \"reprot\" in {path}; did you mean \"report\"?\n")

    def test_invalid_config_exits_78(self):
        path = self.write_config("[[task]]\nname = \"x\"\n")
        result = self.tasksrun("next", "-c", path)
        self.assertEqual(result.returncode, 78)
        self.assertEqual(result.stdout, "")


class CommandLineTest(TasksrunTestCase):
    def test_usage_errors_exit_64(self):
        path = self.write_config(SCHEDULES)
        for args in (["next", "-c", path, "--from", "yesterday"],
                     ["next", "-c", path, "-n", "0"],
                     ["check", "-c", path, "--bogus"],
                     ["frobnicate"],
                     ["--log-format", "xml", "check", "-c", path]):
            with self.subTest(args=args):
                result = self.tasksrun(*args)
                self.assertEqual(result.returncode, 64, result.stderr)
                self.assertNotEqual(result.stderr, "")

    def test_bad_from_says_why(self):
        path = self.write_config(SCHEDULES)
        result = self.tasksrun("next", "-c", path, "--from", "yesterday")
        self.assertIn("\"yesterday\" is not an RFC 3339 timestamp like 2025-03-09T07:30:00Z", result.stderr)

    def test_version_and_help_exit_0(self):
        version = self.tasksrun("--version")
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^tasksrun \d+\.\d+\.\d+\n$")
        for args in (["--help"], ["check", "--help"], ["next", "--help"]):
            with self.subTest(args=args):
                result = self.tasksrun(*args)
                self.assertEqual(result.returncode, 0)
                self.assertIn("Usage", result.stdout)

    def test_history_of_an_unknown_task_is_a_usage_error(self):
        path = self.write_config(f"""
            [tasksrun]
            state_dir = "{self.dir}/state"
            [[task]]
            name = "backup"
            seconds = 1
            run = "true"
        """)
        result = self.tasksrun("history", "-c", path, "bakup")
        self.assertEqual(result.returncode, 64)
        self.assertEqual(result.stderr,
                         f'tasksrun history: no task named "bakup" in {path}; did you mean "backup"?\n')

    def test_ctl_honours_the_global_control_socket(self):
        socket_path = os.path.join(self.dir, "nobody-listens.sock")
        result = self.tasksrun("--control-socket", socket_path, "ctl", "status")
        self.assertEqual(result.returncode, 1)
        self.assertIn(socket_path, result.stderr)

    def test_run_refuses_an_invalid_config(self):
        broken = self.write_config("[[task]]\n", name="broken.toml")
        result = self.tasksrun("run", "-c", broken)
        self.assertEqual(result.returncode, 78)
        self.assertIn("task has no", result.stderr)


if __name__ == "__main__":
    unittest.main()

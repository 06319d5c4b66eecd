"""The daemon run for real: command tasks, hooks, lifecycle logs and signals."""
import json
import os
import signal
import subprocess
import time
import unittest

from support import Daemon, TasksrunTestCase, processes_in_group


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


class LifecycleTest(TasksrunTestCase):
    def test_hooks_run_around_the_iterations_and_count_ends_the_loop(self):
        out = os.path.join(self.dir, "out.txt")
        path = self.write_config(f"""
            [[task]]
            name = "tick"
            seconds = 0.2
            count = 3
            run = "echo run $TASKSRUN_LOOP $(date +%s.%N) >> {out}"
            [task.before_loop]
            run = "echo before >> {out}"
            [task.after_loop]
            run = "echo after cancelled=$TASKSRUN_CANCELLED failed=$TASKSRUN_FAILED >> {out}"
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 0)
        lines = read_lines(out)
        self.assertEqual([line.rsplit(" ", 1)[0] if line.startswith("run") else line for line in lines],
                         ["before", "run 0", "run 1", "run 2", "after cancelled=0 failed=0"])
        times = [float(line.split()[2]) for line in lines if line.startswith("run")]
        gaps = [b - a for a, b in zip(times, times[1:])]
        self.assertTrue(all(0.1 < gap < 1.0 for gap in gaps), gaps)
        self.assertEqual(daemon.events("tick"),
                         ["start", "before_loop", "hook_start", "hook_end"]
                         + ["iteration_start", "iteration_end"] * 3
                         + ["after_loop", "hook_start", "hook_end", "finished"])
        hooks = [(r["event"], r["hook"], r["loop"]) for r in daemon.records() if r.get("event", "").startswith("hook_")]
        self.assertEqual(hooks, [("hook_start", "before_loop", 0), ("hook_end", "before_loop", 0),
                                 ("hook_start", "after_loop", 3), ("hook_end", "after_loop", 3)])

    def test_a_zero_interval_runs_back_to_back(self):
        path = self.write_config("""
            [[task]]
            name = "eager"
            seconds = 0
            count = 5
            run = "sleep 0.1"
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 0)
        events = daemon.events("eager")
        self.assertEqual(events.count("iteration_start"), 5)
        self.assertNotIn("misfire", events)

    def test_json_log_lines_carry_the_spec_fields(self):
        path = self.write_config("""
            [[task]]
            name = "json"
            seconds = 0.1
            count = 2
            run = "echo hello"
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 0)
        records = daemon.records()
        starts = [r for r in records if r.get("event") == "iteration_start"]
        self.assertEqual(len(starts), 2)
        for record in starts:
            self.assertEqual(record["task"], "json")
            self.assertIsInstance(record["lateness_ms"], float)
            self.assertGreaterEqual(record["lateness_ms"], 0)
            self.assertTrue(record["scheduled"].endswith("Z"))
        self.assertEqual([r["loop"] for r in starts], [0, 1])
        ends = [r for r in records if r.get("event") == "iteration_end"]
        self.assertTrue(all("duration_ms" in r for r in ends))
        output = [r for r in records if r.get("stream") == "stdout"]
        self.assertEqual([r["line"] for r in output], ["hello", "hello"])

    def test_a_handled_failure_is_retried_and_keeps_its_loop_index(self):
        counter = os.path.join(self.dir, "attempts")
        path = self.write_config(f"""
            [[task]]
            name = "flaky"
            minutes = 10
            count = 1
            run = "echo $TASKSRUN_LOOP:$TASKSRUN_ATTEMPT >> {counter}; [ $(wc -l < {counter}) -ge 2 ] || exit 75"
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 0)
        self.assertEqual(read_lines(counter), ["0:1", "0:2"])
        retry = [r for r in daemon.records() if r.get("event") == "retry"]
        self.assertEqual(len(retry), 1)
        self.assertEqual(retry[0]["class"], "exit:75")
        self.assertLessEqual(retry[0]["delay_ms"], 2000)

    def test_unhandled_failure_runs_on_error_and_on_error_stop_fails_the_loop(self):
        out = os.path.join(self.dir, "out.txt")
        path = self.write_config(f"""
            [[task]]
            name = "broken"
            seconds = 0.1
            run = "echo partial output; exit 3"
            [task.on_error]
            run = "echo error=$TASKSRUN_EXIT_CODE tail=$TASKSRUN_OUTPUT_TAIL >> {out}"
            then = "stop"
            [task.after_loop]
            run = "echo after failed=$TASKSRUN_FAILED >> {out}"
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 1)
        self.assertEqual(read_lines(out), ["error=3 tail=partial output", "after failed=1"])
        error = [r for r in daemon.records() if r.get("event") == "error"]
        self.assertEqual(error[0]["class"], "exit:3")


class FailureTest(TasksrunTestCase):
    def test_a_command_that_hangs_past_its_timeout_is_killed_with_its_group(self):
        pidfile = os.path.join(self.dir, "pgid")
        path = self.write_config(f"""
            [[task]]
            name = "hang"
            minutes = 10
            timeout = "0.5s"
            kill_timeout = "1s"
            reconnect = false
            on_error = "stop"
            run = "echo $$ > {pidfile}; sleep 30 & sleep 30"
        """)
        daemon = Daemon(self, path)
        started = time.monotonic()
        self.assertEqual(daemon.wait(timeout=20), 1)
        self.assertLess(time.monotonic() - started, 10)
        error = [r for r in daemon.records() if r.get("event") == "error"]
        self.assertEqual(error[0]["class"], "timeout")
        self.assertEqual(error[0]["message"], "timed out after 500ms")
        self.assertEqual(processes_in_group(int(read_lines(pidfile)[0])), [])

    def test_a_command_that_cannot_be_spawned(self):
        path = self.write_config("""
            [[task]]
            name = "missing"
            seconds = 1
            on_error = "stop"
            command = ["/nonexistent/program", "--flag"]
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 1)
        error = [r for r in daemon.records() if r.get("event") == "error"]
        self.assertEqual(error[0]["class"], "spawn")
        self.assertEqual(error[0]["message"], "cannot run /nonexistent/program: No such file or directory")

    def test_a_failing_before_loop_hook_fails_the_loop_but_after_loop_runs(self):
        out = os.path.join(self.dir, "out.txt")
        path = self.write_config(f"""
            [[task]]
            name = "guarded"
            seconds = 0.1
            run = "echo iteration >> {out}"
            [task.before_loop]
            run = "exit 3"
            [task.after_loop]
            run = "echo after failed=$TASKSRUN_FAILED >> {out}"
        """)
        daemon = Daemon(self, path)
        self.assertEqual(daemon.wait(timeout=20), 1)
        self.assertEqual(read_lines(out), ["after failed=1"])
        self.assertEqual(daemon.events("guarded"), ["start", "before_loop", "hook_start", "hook_end", "error",
                                                    "after_loop", "hook_start", "hook_end", "finished"])
        failed_hook = [r for r in daemon.records() if r.get("event") == "hook_end" and r["hook"] == "before_loop"]
        self.assertEqual((failed_hook[0]["class"], failed_hook[0]["level"]), ("exit:3", "warning"))


class SignalTest(TasksrunTestCase):
    def test_sigterm_lets_the_running_iteration_finish(self):
        out = os.path.join(self.dir, "out.txt")
        path = self.write_config(f"""
            [[task]]
            name = "slow"
            minutes = 10
            run = "sleep 1; echo finished >> {out}"
            [task.after_loop]
            run = "echo after cancelled=$TASKSRUN_CANCELLED >> {out}"
        """)
        daemon = Daemon(self, path)
        daemon.wait_for_event("slow", "iteration_start")
        self.assertEqual(daemon.stop(timeout=20), 0)
        self.assertEqual(read_lines(out), ["finished", "after cancelled=0"])
        self.assertEqual(daemon.events("slow")[-6:],
                         ["stop", "iteration_end", "after_loop", "hook_start", "hook_end", "finished"])

    def test_a_second_signal_cancels_and_leaves_no_process_behind(self):
        out = os.path.join(self.dir, "out.txt")
        pidfile = os.path.join(self.dir, "pgid")
        path = self.write_config(f"""
            [[task]]
            name = "stuck"
            minutes = 10
            kill_timeout = "1s"
            run = "echo $$ > {pidfile}; sleep 60 & sleep 60; echo not reached >> {out}"
            [task.after_loop]
            run = "echo after cancelled=$TASKSRUN_CANCELLED >> {out}"
        """)
        daemon = Daemon(self, path)
        daemon.wait_for(lambda _: os.path.exists(pidfile) and read_lines(pidfile))
        pgid = int(read_lines(pidfile)[0])
        self.assertNotEqual(processes_in_group(pgid), [])
        daemon.signal(signal.SIGTERM)
        daemon.wait_for_event("stuck", "stop")
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        self.assertEqual(daemon.wait(timeout=20), 0)
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(read_lines(out), ["after cancelled=1"])
        self.assertEqual(processes_in_group(pgid), [])
        self.assertIn("cancel", daemon.events("stuck"))

    def test_shutdown_timeout_cancels_what_is_still_running(self):
        pidfile = os.path.join(self.dir, "pgid")
        path = self.write_config(f"""
            [tasksrun]
            shutdown_timeout = "0.5s"

            [[task]]
            name = "stuck"
            minutes = 10
            run = "echo $$ > {pidfile}; sleep 60"
        """)
        daemon = Daemon(self, path)
        daemon.wait_for(lambda _: os.path.exists(pidfile) and read_lines(pidfile))
        daemon.signal(signal.SIGINT)
        self.assertEqual(daemon.wait(timeout=20), 0)
        self.assertEqual(processes_in_group(int(read_lines(pidfile)[0])), [])
        messages = [r.get("message", "") for r in daemon.records()]
        self.assertTrue(any("shutdown_timeout reached" in m for m in messages), messages)


class RunOnceTest(TasksrunTestCase):
    def test_run_once_fires_the_action_now_and_exits_with_its_outcome(self):
        out = os.path.join(self.dir, "out.txt")
        path = self.write_config(f"""
            [[task]]
            name = "good"
            cron = "0 3 * * *"
            run = "echo action $TASKSRUN_TASK >> {out}"
            [task.before_loop]
            run = "echo before >> {out}"
            [task.on_success]
            run = "echo success >> {out}"
            [task.after_loop]
            run = "echo after >> {out}"

            [[task]]
            name = "bad"
            cron = "0 3 * * *"
            enabled = false
            run = "exit 4"
        """)
        plain = self.tasksrun("run-once", "-c", path, "good")
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual(read_lines(out), ["action good"])
        os.remove(out)
        hooked = self.tasksrun("run-once", "-c", path, "good", "--hooks")
        self.assertEqual(hooked.returncode, 0, hooked.stderr)
        self.assertEqual(read_lines(out), ["before", "action good", "success", "after"])
        failing = self.tasksrun("run-once", "-c", path, "bad")
        self.assertEqual(failing.returncode, 1)
        self.assertIn("exit status 4", failing.stderr)
        unknown = self.tasksrun("run-once", "-c", path, "god")
        self.assertEqual(unknown.returncode, 64)
        self.assertIn('did you mean "good"?', unknown.stderr)


if __name__ == "__main__":
    unittest.main()

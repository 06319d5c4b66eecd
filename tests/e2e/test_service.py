"""tasksrun as a service: reload by difference, the control socket, state across restarts,
systemd notifications and reaping orphans as PID 1."""
import json
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import time
import unittest
from datetime import datetime, timedelta, timezone

from support import BINARY, Daemon, TasksrunTestCase


def starts(records, task):
    return [r for r in records if r.get("task") == task and r.get("event") == "iteration_start"]


def ends(records, task):
    return [r for r in records if r.get("task") == task and r.get("event") == "iteration_end"]


def parse_time(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class ServiceTestCase(TasksrunTestCase):
    def setUp(self):
        super().setUp()
        self.socket = os.path.join(self.dir, "tasksrun.sock")
        self.state = os.path.join(self.dir, "state")

    def daemon(self, path, *args, **kwargs):
        return Daemon(self, path, "--control-socket", self.socket, *args, **kwargs)

    def ctl(self, *args):
        return self.tasksrun("ctl", "--socket", self.socket, *args)

    def ctl_json(self, *args):
        result = self.ctl("--json", *args)
        return result.returncode, json.loads(result.stdout)

    def status(self, task):
        code, reply = self.ctl_json("status", task)
        self.assertEqual(code, 0, reply)
        return reply["tasks"][0]

    @staticmethod
    def wait_for_socket(daemon):
        daemon.wait_for(lambda rs: any(r.get("message", "").startswith("control socket: ") for r in rs))


class ReloadTest(ServiceTestCase):
    CONFIG = """
        [tasksrun]
        state_dir = "{state}"
        [[task]]
        name = "keeper"
        seconds = 4
        run = "sleep 1.5; echo keeper $TASKSRUN_LOOP >> {dir}/keeper.txt"
        [[task]]
        name = "changer"
        seconds = 4
        run = "sleep 1.5; echo {version} $TASKSRUN_LOOP >> {dir}/changer.txt"
        {removed}
        {added}
    """
    REMOVED = """
        [[task]]
        name = "remover"
        seconds = 4
        run = "sleep 1.5; echo remover $TASKSRUN_LOOP >> {dir}/remover.txt"
    """
    ADDED = """
        [[task]]
        name = "newcomer"
        seconds = 0.5
        run = "echo newcomer >> {dir}/newcomer.txt"
    """

    def config(self, version, removed, added):
        return self.CONFIG.format(state=self.state, dir=self.dir, version=version,
                                  removed=self.REMOVED.format(dir=self.dir) if removed else "",
                                  added=self.ADDED.format(dir=self.dir) if added else "")

    def test_reload_keeps_unchanged_restarts_changed_stops_removed_and_starts_added(self):
        path = self.write_config(self.config("v1", removed=True, added=False))
        daemon = self.daemon(path)
        daemon.wait_for(lambda rs: all(starts(rs, t) for t in ("keeper", "changer", "remover")))
        self.write_config(self.config("v2", removed=False, added=True))
        daemon.signal(signal.SIGHUP)  # all three are mid-iteration (sleep 1.5)
        daemon.wait_for(lambda rs: len(starts(rs, "changer")) >= 2 and len(ends(rs, "newcomer")) >= 2, timeout=15)
        daemon.wait_for(lambda rs: len(ends(rs, "keeper")) >= 2, timeout=15)
        self.assertEqual(daemon.stop(timeout=15), 0)
        records = daemon.records()

        # Unchanged: its running iteration went on, its loop was never restarted.
        self.assertEqual(daemon.events("keeper").count("start"), 1)
        self.assertNotIn("reload", daemon.events("keeper"))
        self.assertEqual([r["loop"] for r in starts(records, "keeper")][:2], [0, 1])
        self.assertEqual([r["message"] for r in ends(records, "keeper")][:2], ["ok", "ok"])

        # Changed: the running v1 iteration finished, then the loop restarted with v2 on the same
        # grid: the next slot, not a run at once (no slot doubled).
        self.assertIn("reload", daemon.events("changer"))
        self.assertEqual(daemon.events("changer").count("start"), 2)
        self.assertEqual(ends(records, "changer")[0]["message"], "ok")
        first, second = starts(records, "changer")[:2]
        self.assertEqual(parse_time(second["scheduled"]) - parse_time(first["scheduled"]), timedelta(seconds=4))
        with open(os.path.join(self.dir, "changer.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read().split()[:4], ["v1", "0", "v2", "0"])

        # Removed: stopped gracefully: its iteration completed and no other started.
        remover = daemon.events("remover")
        self.assertEqual(remover.count("iteration_start"), 1)
        self.assertEqual(ends(records, "remover")[0]["message"], "ok")
        self.assertEqual(remover[-2:], ["after_loop", "finished"])

        # Added: started.
        self.assertGreaterEqual(len(ends(records, "newcomer")), 2)
        summary = [r["message"] for r in records if r.get("message", "").startswith("reload: ")]
        self.assertIn("reload: 1 unchanged, 1 changed, 1 added, 1 removed", summary)

    def test_reload_without_a_control_socket_keeps_the_daemon_running(self):
        config = """
            [[task]]
            name = "stays"
            seconds = 0.2
            run = "echo {word} >> {out}"
            [[task]]
            name = "goes"
            seconds = 0.2
            run = "true"
        """
        out = os.path.join(self.dir, "stays.txt")
        path = self.write_config(config.format(word="before", out=out))
        daemon = Daemon(self, path)  # exits by itself once every loop has ended
        daemon.wait_for(lambda rs: ends(rs, "stays") and ends(rs, "goes"))
        self.write_config(config.format(word="after", out=out).split("[[task]]\n            name = \"goes\"")[0])
        daemon.signal(signal.SIGHUP)
        daemon.wait_for_event("goes", "finished")
        daemon.wait_for(lambda rs: len(ends(rs, "stays")) >= 4)
        self.assertIsNone(daemon.process.poll())
        with open(out, encoding="utf-8") as f:
            self.assertEqual(f.read().split()[-1], "after")
        self.assertEqual(daemon.stop(timeout=10), 0)

    def test_a_broken_config_is_refused_and_the_running_one_stays(self):
        out = os.path.join(self.dir, "tick.txt")
        path = self.write_config(f"""
            [[task]]
            name = "tick"
            seconds = 0.2
            run = "echo tick >> {out}"
        """)
        daemon = self.daemon(path)
        daemon.wait_for(lambda rs: len(ends(rs, "tick")) >= 1)
        self.write_config(f"""
            [[task]]
            name = "tick"
            secnds = 0.2
            run = "echo tick >> {out}"
        """)
        daemon.signal(signal.SIGHUP)
        daemon.wait_for(lambda rs: any("reload refused" in r.get("message", "") for r in rs))
        refused_at = len(daemon.records())
        daemon.wait_for(lambda rs: len(ends(rs[refused_at:], "tick")) >= 3)
        errors = [r["message"] for r in daemon.records() if r.get("level") == "error"]
        self.assertTrue(any("tasks.toml:3:1: unknown key \"secnds\"" in e for e in errors), errors)
        self.assertNotIn("reload", daemon.events("tick"))
        self.assertEqual(daemon.events("tick").count("start"), 1)
        self.assertEqual(self.status("tick")["schedule"], "every 200ms")
        self.assertEqual(daemon.stop(timeout=10), 0)


class ControlSocketTest(ServiceTestCase):
    def start_daemon(self):
        path = self.write_config(f"""
            [tasksrun]
            shutdown_timeout = "1s"
            [[task]]
            name = "worker"
            minutes = 10
            run = "sleep 0.3"
            [[task]]
            name = "sleeper"
            minutes = 10
            run = "sleep 30"
            [[task]]
            name = "flaky"
            minutes = 10
            run = "exit 75"
            retry_on = ["exit:75"]
        """)
        daemon = self.daemon(path)
        self.wait_for_socket(daemon)
        return daemon

    def test_every_verb_does_what_the_loop_method_does(self):
        daemon = self.start_daemon()
        daemon.wait_for(lambda rs: ends(rs, "worker") and starts(rs, "sleeper")
                        and any(r.get("event") == "retry" and r.get("task") == "flaky" for r in rs))
        self.assertEqual(stat.S_IMODE(os.stat(self.socket).st_mode), 0o600)

        code, reply = self.ctl_json("status")
        self.assertEqual(code, 0)
        tasks = {t["task"]: t for t in reply["tasks"]}
        self.assertEqual(list(tasks), ["worker", "sleeper", "flaky"])
        self.assertEqual(tasks["worker"]["state"], "waiting")
        self.assertEqual(tasks["sleeper"]["state"], "running")
        # Between retries it waits in backoff; a retry attempt (exit 75, a millisecond) may be
        # running at the instant of the request.
        self.assertIn(tasks["flaky"]["state"], ("backoff", "running"))
        self.assertEqual(tasks["flaky"]["last"]["outcome"], "retrying")
        self.assertEqual(tasks["flaky"]["last"]["class"], "exit:75")
        self.assertEqual(tasks["flaky"]["current_loop"], 0)  # a retry keeps the loop index
        for key in ("current_loop", "next_iteration", "is_running", "failed", "is_being_cancelled", "schedule", "last"):
            self.assertIn(key, tasks["worker"])
        self.assertEqual(tasks["worker"]["last"]["outcome"], "ok")
        self.assertEqual(tasks["worker"]["current_loop"], 1)
        self.assertIsNone(tasks["sleeper"]["last"])

        # The text table names every task.
        table = self.ctl("status").stdout
        for name in ("worker", "sleeper", "flaky"):
            self.assertIn(name, table)

        # run-now: an extra iteration now; the schedule does not move.
        before = self.status("worker")["next_iteration"]
        code, reply = self.ctl_json("run-now", "worker")
        self.assertEqual(code, 0, reply)
        self.assertEqual(reply["task"]["next_iteration"], before)
        daemon.wait_for(lambda rs: len(ends(rs, "worker")) >= 2)
        self.assertEqual(starts(daemon.records(), "worker")[1]["message"], "run-now")
        code, reply = self.ctl_json("run-now", "sleeper")  # still running: no room
        self.assertEqual(code, 1)
        self.assertIn("already running", reply["error"])

        # change-interval: at once, validated like the config.
        code, reply = self.ctl_json("change-interval", "worker", "--seconds", "2")
        self.assertEqual(code, 0, reply)
        self.assertEqual(reply["task"]["schedule"], "every 2s")
        result = self.ctl("change-interval", "worker", "--cron", "0 0 30 2 *")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cron \"0 0 30 2 *\"", result.stderr)
        code, reply = self.ctl_json("change-interval", "worker", "--time", "09:00", "--time", "18:30")
        self.assertEqual(code, 0, reply)
        self.assertIn("09:00", reply["task"]["schedule"])

        # cancel a running iteration: it is aborted and the loop ends.
        code, reply = self.ctl_json("cancel", "sleeper")
        self.assertEqual(code, 0, reply)
        daemon.wait_for_event("sleeper", "finished")
        self.assertEqual(ends(daemon.records(), "sleeper")[0]["message"], "cancelled")
        self.assertEqual(self.status("sleeper")["state"], "finished")

        # cancel while in backoff.
        self.assertEqual(self.ctl("cancel", "flaky").returncode, 0)
        daemon.wait_for_event("flaky", "finished")

        # stop, start, start again (refused), restart.
        self.assertEqual(self.ctl("stop", "worker").returncode, 0)
        daemon.wait_for_event("worker", "finished")
        self.assertEqual(self.status("worker")["state"], "finished")
        self.assertEqual(self.ctl("start", "worker").returncode, 0)
        result = self.ctl("start", "worker")
        self.assertEqual(result.returncode, 1)
        self.assertIn("already running", result.stderr)
        self.assertEqual(self.ctl("restart", "sleeper").returncode, 0)
        daemon.wait_for(lambda rs: daemon.events("sleeper").count("start") == 2)
        self.assertEqual(self.status("sleeper")["state"], "running")

        # A task that does not exist.
        result = self.ctl("stop", "workr")
        self.assertEqual(result.returncode, 1)
        self.assertIn("did you mean \"worker\"", result.stderr)

        self.assertEqual(daemon.stop(timeout=15), 0)

    def raw(self, payload, connection=None):
        client = connection or socket.socket(socket.AF_UNIX)
        if connection is None:
            client.connect(self.socket)
        client.sendall(payload)
        reply = b""
        client.settimeout(5)
        while not reply.endswith(b"\n"):
            chunk = client.recv(65536)
            if not chunk:
                break
            reply += chunk
        return client, reply

    def test_malformed_requests_get_an_error_and_never_disturb_the_daemon(self):
        daemon = self.start_daemon()
        cases = {
            b"this is not json\n": "one JSON object per line",
            b"[1, 2]\n": "one JSON object per line",
            b"{}\n": "no \"command\"",
            b'{"command": 7}\n': "no \"command\"",
            b'{"command": "launch"}\n': "unknown command",
            b'{"command": "stop"}\n': "needs a \"task\"",
            b'{"command": "stop", "task": ["worker"]}\n': "must be a string",
            b'{"command": "change-interval", "task": "worker", "cron": {"x": 1}}\n': "must be a number",
            b'{"command": "change-interval", "task": "worker", "colour": "red"}\n': "unknown key",
            b'{"command": "status", "task": "w\xff\xfe"}\n': "one JSON object per line",  # not UTF-8
            b'{"command": "status", "task": "wrker"}\n': "did you mean",
        }
        client = None
        for payload, expected in cases.items():
            client, reply = self.raw(payload, client)  # one connection for all: it stays usable
            answer = json.loads(reply)
            self.assertFalse(answer["ok"], payload)
            self.assertIn(expected, answer["error"], payload)
        client.close()

        # A client that sends a line without end is cut off at 64 KiB, with an error.
        _, reply = self.raw(b"x" * (200 * 1024))
        self.assertIn(b"longer than 64 KiB", reply)
        # One that connects and goes away mid-request.
        half = socket.socket(socket.AF_UNIX)
        half.connect(self.socket)
        half.sendall(b'{"command": "sta')
        half.close()

        self.assertEqual(self.status("sleeper")["state"], "running")
        self.assertIsNone(daemon.process.poll())
        self.assertEqual(daemon.stop(timeout=15), 0)

    def test_a_stale_socket_is_replaced_and_a_live_one_is_an_error(self):
        stale = socket.socket(socket.AF_UNIX)
        stale.bind(self.socket)
        stale.close()  # the file stays, nobody listens: what a killed daemon leaves
        daemon = self.start_daemon()
        self.assertEqual(self.ctl("status").returncode, 0)

        path = self.write_config("""
            [[task]]
            name = "other"
            minutes = 1
            run = "true"
        """, name="other.toml")
        second = self.tasksrun("run", "-c", path, "--control-socket", self.socket, timeout=10)
        self.assertEqual(second.returncode, 1)
        self.assertIn("another tasksrun is listening on " + self.socket, second.stderr)
        self.assertEqual(self.ctl("status").returncode, 0)  # the first is undisturbed
        self.assertEqual(daemon.stop(timeout=15), 0)
        self.assertFalse(os.path.exists(self.socket))

    def test_ctl_without_a_daemon_says_so(self):
        result = self.ctl("status")
        self.assertEqual(result.returncode, 1)
        self.assertIn("cannot reach a tasksrun daemon at " + self.socket, result.stderr)


class StateTest(ServiceTestCase):
    def slot_config(self, misfire, first, second, grace="1h"):
        return self.write_config(f"""
            [tasksrun]
            state_dir = "{self.state}"
            [[task]]
            name = "daily"
            time = ["{first:%H:%M:%S}", "{second:%H:%M:%S}"]
            misfire = "{misfire}"
            misfire_grace = "{grace}"
            run = "echo $TASKSRUN_SCHEDULED_AT >> {self.dir}/daily.txt"
        """)

    def kill_and_restart_around_a_slot(self, misfire):
        now = datetime.now(timezone.utc).replace(microsecond=0)
        first, second = now + timedelta(seconds=2), now + timedelta(seconds=5)
        path = self.slot_config(misfire, first, second)
        daemon = self.daemon(path, log_name="first.log")
        daemon.wait_for(lambda rs: ends(rs, "daily"), timeout=10)
        daemon.process.kill()  # kill -9: no goodbye
        daemon.wait(timeout=5)
        while datetime.now(timezone.utc) < second + timedelta(seconds=1):
            time.sleep(0.1)
        restarted = self.daemon(path, log_name="second.log")
        restarted.wait_for_event("daily", "misfire")
        time.sleep(0.5)
        self.assertEqual(restarted.stop(timeout=10), 0)
        return restarted.records(), first, second

    def test_a_slot_missed_while_down_is_skipped_under_skip(self):
        records, first, second = self.kill_and_restart_around_a_slot("skip")
        misfire = [r for r in records if r.get("event") == "misfire"][0]
        self.assertEqual(parse_time(misfire["scheduled"]), second)
        self.assertIn("skipped", misfire["message"])
        self.assertEqual(starts(records, "daily"), [])
        with open(os.path.join(self.dir, "daily.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), [first.strftime("%Y-%m-%dT%H:%M:%SZ")])

    def test_a_slot_missed_while_down_runs_once_under_run_once(self):
        records, first, second = self.kill_and_restart_around_a_slot("run-once")
        late = starts(records, "daily")
        self.assertEqual(len(late), 1)
        self.assertEqual(parse_time(late[0]["scheduled"]), second)
        self.assertGreater(late[0]["lateness_ms"], 900)
        with open(os.path.join(self.dir, "daily.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read().split(), [first.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                                second.strftime("%Y-%m-%dT%H:%M:%SZ")])
        history = self.tasksrun("history", "-c", os.path.join(self.dir, "tasks.toml"), "daily", "--json")
        self.assertEqual(history.returncode, 0, history.stderr)
        runs = [json.loads(line) for line in history.stdout.splitlines()]
        self.assertEqual([r["outcome"] for r in runs], ["ok", "ok"])
        self.assertEqual(parse_time(runs[0]["scheduled"]), second)

    def test_an_interval_resumes_its_grid_without_running_at_start(self):
        path = self.write_config(f"""
            [tasksrun]
            state_dir = "{self.state}"
            [[task]]
            name = "grid"
            seconds = 3
            run = "true"
        """)
        daemon = self.daemon(path, log_name="first.log")
        daemon.wait_for(lambda rs: ends(rs, "grid"))
        self.assertEqual(daemon.stop(timeout=10), 0)
        first = parse_time(starts(daemon.records(), "grid")[0]["scheduled"])
        restarted = self.daemon(path, log_name="second.log")
        restarted.wait_for(lambda rs: starts(rs, "grid"), timeout=10)
        resumed = parse_time(starts(restarted.records(), "grid")[0]["scheduled"])
        self.assertEqual(resumed - first, timedelta(seconds=3))
        self.assertEqual(restarted.stop(timeout=10), 0)

    def test_the_database_is_consistent_after_kill_9_during_writes(self):
        tasks = "".join(f"""
            [[task]]
            name = "busy{i}"
            seconds = 0.02
            run = "true"
        """ for i in range(10))
        path = self.write_config(f"""
            [tasksrun]
            state_dir = "{self.state}"
        """ + tasks)
        database = os.path.join(self.state, "state.db")
        for round_number in range(3):
            daemon = self.daemon(path, log_name=f"round{round_number}.log")
            daemon.wait_for(lambda rs: len([r for r in rs if r.get("event") == "iteration_end"]) >= 200, timeout=20)
            daemon.process.kill()
            daemon.wait(timeout=5)
            with sqlite3.connect(database) as db:
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchone(), ("ok",))
                self.assertEqual(db.execute("SELECT count(*) FROM slots").fetchone(), (10,))
        # The runs the kills cut short read "interrupted" once a daemon has opened the database.
        daemon = self.daemon(path, log_name="last.log")
        daemon.wait_for(lambda rs: ends(rs, "busy0"))
        self.assertEqual(daemon.stop(timeout=10), 0)
        with sqlite3.connect(database) as db:
            outcomes = dict(db.execute("SELECT outcome, count(*) FROM runs GROUP BY outcome").fetchall())
        self.assertNotIn("running", outcomes)
        self.assertGreater(outcomes["ok"], 500)
        history = self.tasksrun("history", "-c", path, "-n", "5")
        self.assertEqual(history.returncode, 0, history.stderr)
        self.assertEqual(len(history.stdout.splitlines()), 6)

    def test_without_a_state_dir_history_says_why(self):
        path = self.write_config("""
            [[task]]
            name = "x"
            seconds = 1
            run = "true"
        """)
        result = self.tasksrun("history", "-c", path)
        self.assertEqual(result.returncode, 1)
        self.assertIn("sets no state_dir", result.stderr)


class SystemdTest(ServiceTestCase):
    def test_ready_reloading_stopping_and_the_watchdog_are_notified(self):
        address = os.path.join(self.dir, "notify.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(address)
        listener.settimeout(10)
        path = self.write_config("""
            [[task]]
            name = "tick"
            seconds = 0.5
            run = "true"
        """)
        daemon = self.daemon(path, env={"NOTIFY_SOCKET": address, "WATCHDOG_USEC": "400000"})
        messages = []

        def expect(word):
            while not any(word in m for m in messages):
                messages.append(listener.recv(4096).decode())

        expect("READY=1")
        ready = next(m for m in messages if "READY=1" in m)
        self.assertIn("STATUS=1 of 1 tasks running; next: tick at", ready)
        expect("WATCHDOG=1")
        daemon.signal(signal.SIGHUP)
        expect("RELOADING=1")
        messages.clear()
        expect("READY=1")
        daemon.signal(signal.SIGTERM)
        expect("STOPPING=1")
        self.assertEqual(daemon.wait(timeout=10), 0)
        listener.close()


class Pid1Test(ServiceTestCase):
    def test_orphans_are_reaped_when_running_as_pid_1(self):
        path = self.write_config("""
            [[task]]
            name = "orphans"
            seconds = 0.3
            run = "(sleep 0.1 &)"
        """)
        daemon = Daemon(self, path, prefix=("unshare", "--user", "--map-root-user", "--pid", "--fork",
                                                      "--mount-proc", "--kill-child"))
        daemon.wait_for(lambda rs: len(ends(rs, "orphans")) >= 8, timeout=20)
        time.sleep(0.5)
        with open(f"/proc/{daemon.process.pid}/task/{daemon.process.pid}/children", encoding="utf-8") as f:
            pid1 = int(f.read().split()[0])  # tasksrun, PID 1 in its namespace
        with open(f"/proc/{pid1}/task/{pid1}/children", encoding="utf-8") as f:
            children = [int(p) for p in f.read().split()]
        zombies = []
        for child in children:
            with open(f"/proc/{child}/stat", encoding="utf-8") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    zombies.append(child)
        self.assertEqual(zombies, [])
        os.kill(pid1, signal.SIGTERM)  # unshare does not pass signals on
        self.assertEqual(daemon.wait(timeout=10), 0)



class RebootTest(ServiceTestCase):
    """cron = "@reboot": once when the daemon starts; with state, once per boot (SPEC 12)."""

    def lines(self):
        path = os.path.join(self.dir, "boot.txt")
        if not os.path.exists(path):
            return []
        with open(path, encoding="utf-8") as f:
            return f.read().splitlines()

    def config(self, state):
        return self.write_config(f"""
            [tasksrun]
            {f'state_dir = "{self.state}"' if state else ""}
            [[task]]
            name = "boot"
            cron = "@reboot"
            run = "echo $TASKSRUN_LOOP >> {self.dir}/boot.txt"
        """)

    def test_with_state_it_runs_once_per_boot_id(self):
        path = self.config(state=True)
        first = self.daemon(path, log_name="first.log")
        first.wait_for_event("boot", "finished")
        self.assertEqual(first.stop(timeout=10), 0)
        self.assertEqual(self.lines(), ["0"])
        with open("/proc/sys/kernel/random/boot_id", encoding="utf-8") as f:
            boot_id = f.read().strip()
        database = os.path.join(self.state, "state.db")
        with sqlite3.connect(database) as db:
            self.assertEqual(db.execute("SELECT boot_id FROM reboot_starts WHERE task = 'boot'").fetchall(),
                             [(boot_id,)])

        # Restarted within the same boot: the loop starts and ends with nothing to run.
        second = self.daemon(path, log_name="second.log")
        second.wait_for_event("boot", "finished")
        self.assertEqual(starts(second.records(), "boot"), [])
        self.assertEqual(second.stop(timeout=10), 0)
        self.assertEqual(self.lines(), ["0"])

        # The database says it last ran in another boot: it runs again.
        with sqlite3.connect(database) as db:
            db.execute("UPDATE reboot_starts SET boot_id = 'an-earlier-boot'")
        third = self.daemon(path, log_name="third.log")
        third.wait_for_event("boot", "finished")
        self.assertEqual(third.stop(timeout=10), 0)
        self.assertEqual(self.lines(), ["0", "0"])

    def test_without_state_it_runs_at_every_daemon_start(self):
        path = self.config(state=False)
        for run in range(2):
            # Without a control socket, a daemon whose every loop has ended exits by itself.
            daemon = Daemon(self, path, log_name=f"run{run}.log")
            self.assertEqual(daemon.wait(timeout=10), 0)
            self.assertEqual(len(starts(daemon.records(), "boot")), 1)
        self.assertEqual(self.lines(), ["0", "0"])


if __name__ == "__main__":
    unittest.main()

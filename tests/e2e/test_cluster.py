"""Cluster mode end to end (SPEC 14): three replicas of the built binary on one real PostgreSQL.

Every task's command appends one line per phase to one shared file:
    <task> <slot> <replica> <fence> start|end
so each case can count who fired which slot. A line is far shorter than PIPE_BUF and the file is
opened with O_APPEND, so lines from concurrent commands never interleave.

The lease is SPEC 14's default (10 s): the cases that wait for a takeover wait for it.
"""
import json
import os
import signal
import textwrap
import time
import unittest
from datetime import datetime, timezone

from pg_server import PgServer
from support import Daemon, TasksrunTestCase

SERVER = None


def setUpModule():
    global SERVER
    SERVER = PgServer()


def tearDownModule():
    SERVER.close()


LEASE = 10.0

# The command every task runs; SLEEP keeps an iteration running that long.
LINE = 'echo "$TASKSRUN_TASK $TASKSRUN_SLOT $TASKSRUN_REPLICA $TASKSRUN_FENCE'


def command(out, sleep=0):
    text = f'{LINE} start" >> {out}'
    if sleep:
        text += f'; sleep {sleep}; {LINE} end" >> {out}'
    return text


def epoch(label):
    return datetime.strptime(label, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


class Line:
    def __init__(self, text):
        self.task, slot, self.replica, fence, self.phase = text.split()
        self.slot = epoch(slot)
        self.fence = int(fence)


class ClusterTestCase(TasksrunTestCase):
    def setUp(self):
        super().setUp()
        self.url = SERVER.create_database()
        self.out = os.path.join(self.dir, "out.txt")
        self.replicas = {}
        self.started = []

    def start_replica(self, name, tasks, prefix=(), env=None):
        """Starts replica `name` running `tasks` (TOML text), with a control socket."""
        config = self.write_config(
            f'[tasksrun]\ncluster_url_env = "TASKSRUN_DATABASE_URL"\nreplica = "{name}"\n\n' + tasks,
            name=f"{name}.toml")
        socket = os.path.join(self.dir, f"{name}.sock")
        daemon = Daemon(self, config, "--control-socket", socket, log_name=f"{name}-{len(self.started)}.log",
                        env={"TASKSRUN_DATABASE_URL": self.url, **(env or {})}, prefix=prefix)
        daemon.socket = socket
        daemon.wait_for(lambda rs: any(r.get("message", "").startswith("cluster: connected") for r in rs))
        self.replicas[name] = daemon
        self.started.append(daemon)
        return daemon

    def ctl(self, name, *args):
        return self.tasksrun("ctl", "--socket", self.replicas[name].socket, *args)

    def lines(self, phase="start", task=None):
        if not os.path.exists(self.out):
            return []
        with open(self.out, encoding="utf-8") as f:
            found = [Line(text) for text in f.read().splitlines() if text.strip()]
        return [l for l in found if l.phase == phase and (task is None or l.task == task)]

    def wait_for_lines(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.lines()):
                return
            time.sleep(0.05)
        self.fail(f"not reached in {timeout} s; out.txt:\n" + "\n".join(
            f"{l.task} {l.slot} {l.replica} {l.fence}" for l in self.lines()))

    def assert_each_slot_once(self, task, lines=None):
        slots = [l.slot for l in (lines if lines is not None else self.lines(task=task))]
        doubles = sorted({s for s in slots if slots.count(s) > 1})
        self.assertEqual(doubles, [], f"slots of {task} fired more than once")
        return sorted(slots)

    def assert_grid(self, slots, first, last, period):
        """Every slot of the epoch's grid in [first, last] is there."""
        wanted = [t for t in range(int(first) + 1, int(last) + 1) if t % period == 0]
        missing = [t for t in wanted if t not in slots]
        self.assertEqual(missing, [], f"grid incomplete: {slots}")
        self.assertGreater(len(wanted), 1)

    def run_until_checked(self, seconds, first):
        """Lets the replicas run `seconds` more and stops them; the tick task's slots since
        `first` must each have fired once, the grid complete. Returns its lines and the end."""
        time.sleep(seconds)
        last = time.time() - 1  # a slot claimed in the last second may not have written yet
        self.stop_all()
        lines = self.lines(task="tick")
        self.assert_grid(self.assert_each_slot_once("tick", lines), first, last, 1)
        return lines, last

    def history(self, name, task):
        result = self.tasksrun("history", "-c", os.path.join(self.dir, f"{name}.toml"), "--json",
                               "-n", "1000", task, env={"TASKSRUN_DATABASE_URL": self.url})
        self.assertEqual(result.returncode, 0, result.stderr)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def log_messages(self, name):
        return [r.get("message", "") for r in self.replicas[name].records()]

    def stop_all(self):
        for daemon in self.replicas.values():
            if daemon.process.poll() is None:
                daemon.signal(signal.SIGCONT)
                daemon.stop(timeout=15)


class SteadyStateTest(ClusterTestCase):
    def test_three_replicas_fire_each_slot_exactly_once_on_the_epoch_grid(self):
        tasks = (f'[[task]]\nname = "tick"\nseconds = 1\nrun = \'{command(self.out)}\'\n\n'
                 f'[[task]]\nname = "odd"\nseconds = 2\noffset = "1s"\nrun = \'{command(self.out)}\'\n')
        for name in "abc":
            self.start_replica(name, tasks)
        first = time.time()
        lines, last = self.run_until_checked(6, first)
        # The grid is the epoch's plus offset, not the start of some daemon: odd seconds.
        odd = self.assert_each_slot_once("odd")
        self.assertEqual([s for s in odd if s % 2 != 1], [])
        self.assertEqual([t for t in range(int(first) + 1, int(last) + 1) if t % 2 == 1 and t not in odd], [])
        # Fences grow with slots: one sequence for the cluster.
        fences = [l.fence for l in sorted(lines, key=lambda l: l.slot)]
        self.assertEqual(fences, sorted(fences))
        self.assertTrue({l.replica for l in lines} <= set("abc"))
        # `history` on any replica's config reads the cluster's runs: the same slots, each with
        # the replica that ran it.
        runs = self.history("c", "tick")
        ran = {epoch(r["scheduled"]): r["replica"] for r in runs if r["outcome"] == "ok"}
        self.assertEqual(ran, {l.slot: l.replica for l in lines})


class ClockSkewTest(ClusterTestCase):
    """A replica whose wall clock is off claims slots early or late by its own clock, but a slot's
    identity does not depend on who computes it, a slot won early waits for the database's clock,
    and leases use the database's clock."""

    FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

    @unittest.skipUnless(os.path.exists(FAKETIME), "libfaketime is not installed (faketime)")
    def test_a_replica_seconds_ahead_or_behind_fires_no_slot_twice(self):
        tasks = f'[[task]]\nname = "tick"\nseconds = 1\nrun = \'{command(self.out)}\'\n'
        skewed = {"LD_PRELOAD": self.FAKETIME, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                  "FAKETIME_NO_CACHE": "1"}
        if os.environ.get("TASKSRUN_SANITIZED"):
            # AddressSanitizer wants its runtime first among the preloaded libraries; libfaketime
            # only wraps the clock functions, which ASan does not intercept.
            skewed["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                            "verify_asan_link_order=0"]))
        ahead = self.start_replica("ahead", tasks, env={**skewed, "FAKETIME": "+3s"})
        self.start_replica("behind", tasks, env={**skewed, "FAKETIME": "-3s"})
        self.start_replica("right", tasks)
        first = time.time()
        # When each line appears, by this test's clock (the commands' own clocks are faked).
        seen = {}
        while time.time() < first + 7:
            for l in self.lines(task="tick"):
                seen.setdefault((l.slot, l.replica), time.time())
            time.sleep(0.02)
        lines, last = self.run_until_checked(0, first)
        # The replica three seconds ahead claims every slot three seconds before the others and
        # wins it, but for the slots already past by its clock when it started, which the others
        # fire. It fires none before the database's clock reaches it.
        by = {l.replica for l in lines if first + 4 <= l.slot <= last}
        self.assertEqual(by, {"ahead"})
        early = {slot: round(slot - at, 3) for (slot, _), at in seen.items() if at < slot - 0.2}
        self.assertEqual(early, {}, "slots fired before their time (slot: seconds early)")
        warnings = [r["message"] for r in ahead.records() if "ahead of the database" in r.get("message", "")]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("clock is 3.0 s ahead", warnings[0])


class ControlTest(ClusterTestCase):
    def test_ctl_stop_start_and_change_interval_on_one_replica_act_on_all(self):
        tasks = f'[[task]]\nname = "tick"\nseconds = 1\nrun = \'{command(self.out)}\'\n'
        for name in "abc":
            self.start_replica(name, tasks)
        self.wait_for_lines(lambda lines: len(lines) >= 2, timeout=5)
        result = self.ctl("a", "stop", "tick")
        self.assertEqual(result.returncode, 0, result.stderr)
        stopped = time.time()
        for name in "bc":
            self.replicas[name].wait_for_event("tick", "finished", timeout=5)
        time.sleep(3)
        fired = [l.slot for l in self.lines() if l.slot > stopped + 1]
        self.assertEqual(fired, [], "a slot fired after ctl stop on another replica")
        result = self.ctl("b", "start", "tick")
        self.assertEqual(result.returncode, 0, result.stderr)
        started = time.time()
        for name in "ac":
            self.replicas[name].wait_for(
                lambda rs: [r.get("event") for r in rs if r.get("task") == "tick"].count("start") == 2)
        time.sleep(4)
        # change-interval on a third replica: all three move to the same 3 s grid of the epoch.
        result = self.ctl("c", "change-interval", "tick", "--seconds", "3")
        self.assertEqual(result.returncode, 0, result.stderr)
        changed = time.time()
        for name in "ab":
            self.replicas[name].wait_for_event("tick", "interval_changed", timeout=5)
        time.sleep(8)  # a window of six whole seconds holds two slots of the 3 s grid
        last = time.time() - 1
        self.stop_all()
        slots = self.assert_each_slot_once("tick")
        self.assert_grid([s for s in slots if s < changed - 1], started + 1, changed - 1, 1)
        after = [s for s in slots if s > changed + 1]
        self.assertEqual([s for s in after if s % 3], [], "a slot off the 3 s grid")
        self.assert_grid(after, changed + 1, last, 3)


class ConfigDiffersTest(ClusterTestCase):
    def test_a_replica_with_another_config_for_a_task_does_not_claim_it_and_says_so(self):
        tasks = f'[[task]]\nname = "tick"\nseconds = 1\nrun = \'{command(self.out)}\'\n'
        self.start_replica("a", tasks)
        self.start_replica("b", tasks)
        self.start_replica("c", tasks + 'timeout = "30s"\n')
        first = time.time()
        self.replicas["c"].wait_for(lambda rs: any(
            "is not the one the cluster runs it with" in r.get("message", "") for r in rs), timeout=5)
        lines, _ = self.run_until_checked(4, first)
        self.assertEqual([l for l in lines if l.replica == "c"], [])
        warnings = [r for r in self.replicas["c"].records()
                    if "is not the one the cluster runs it with" in r.get("message", "")]
        self.assertEqual(len(warnings), 1)  # said once, not at every slot
        self.assertEqual(warnings[0]["task"], "tick")


class OutageTest(ClusterTestCase):
    def test_nothing_fires_while_the_database_is_down_and_missed_slots_misfire_after(self):
        tasks = (f'[[task]]\nname = "tick"\nseconds = 1\nmisfire = "run-once"\n'
                 f'misfire_grace = "1m"\nrun = \'{command(self.out)}\'\n')
        for name in "abc":
            self.start_replica(name, tasks)
        self.wait_for_lines(lambda lines: len(lines) >= 2, timeout=5)
        SERVER.stop("immediate")
        down = time.time()
        try:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                status = self.ctl("b", "status")
                if "down since" in status.stdout:
                    break
                time.sleep(0.2)
            self.assertIn("down since", status.stdout)
            time.sleep(10 - (time.time() - down))
            during = [l.slot for l in self.lines() if l.slot > down + 1]
        finally:
            SERVER.start()
        up = time.time()
        self.assertEqual(during, [], "a slot fired while the database was down")
        for name in "abc":
            self.assertTrue(any("is unreachable since" in r.get("message", "") and r["level"] == "error"
                                for r in self.replicas[name].records()), name)
        # Reconnecting takes up to the connection's backoff (5 s) after the server is back.
        back = min(self.reconnected_after(name, up) for name in "abc")
        time.sleep(max(0, back + 4 - time.time()))
        last = time.time() - 1
        self.stop_all()
        lines = self.lines(task="tick")
        self.assert_each_slot_once("tick", lines)
        # Every slot the database could not be asked about was a misfire on every replica; the
        # latest of them runs once, late (misfire = "run-once"), and no earlier one.
        missed = {name: [epoch(r["scheduled"]) for r in self.replicas[name].records()
                         if r.get("event") == "misfire" and "did not answer" in r.get("message", "")]
                  for name in "abc"}
        for name in "abc":
            self.assertTrue(missed[name], name)
        latest = max(max(slots) for slots in missed.values())
        self.assertGreater(latest, up - 2)
        fired = [l.slot for l in lines if down + 1 < l.slot <= latest]
        self.assertEqual(fired, [latest])
        self.assert_grid([l.slot for l in lines], latest, last, 1)

    def reconnected_after(self, name, instant):
        """When replica `name` logged that it is connected again, after `instant`."""
        def times(records):
            return [datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
                    for r in records if r.get("message", "").startswith("cluster: connected")]
        self.replicas[name].wait_for(lambda rs: any(t > instant - 1 for t in times(rs)), timeout=10)
        return min(t for t in times(self.replicas[name].records()) if t > instant - 1)

class CrashTest(ClusterTestCase):
    """kill -9 of the replica running a slot: once its lease runs out, another replica records the
    slot abandoned (on_crash = "skip") or runs it again (on_crash = "rerun")."""

    TASKS = """
        [[task]]
        name = "skipper"
        seconds = 4
        run = '{skip}'

        [[task]]
        name = "rerunner"
        seconds = 4
        on_crash = "rerun"
        misfire = "run-once"
        misfire_grace = "30s"
        run = '{rerun}'
    """

    def test_kill_9_mid_iteration_then_restart(self):
        # The rerun's replica is most likely busy with an iteration of its own (3 s of every 4)
        # when it takes the slot over: the slot then runs when that iteration ends.
        tasks = textwrap.dedent(self.TASKS).format(skip=command(self.out, sleep=2),
                                                   rerun=command(self.out, sleep=3))
        # "a" alone holds both tasks' first slot; it dies in the middle of running them.
        self.start_replica("a", tasks)
        self.wait_for_lines(lambda lines: {l.task for l in lines} == {"skipper", "rerunner"} and
                            len({l.slot for l in lines}) == 1, timeout=8)
        self.replicas["a"].process.kill()
        killed = time.time()
        crashed = self.lines()[0].slot
        self.replicas["a"].kill()
        self.start_replica("b", tasks)
        self.start_replica("c", tasks)
        # ... and comes back at once, under the same name.
        self.start_replica("a", tasks)
        # The lease (10 s from the attempt's start) runs out; a takeover round (every 5 s) finds it.
        self.wait_for_lines(lambda lines: [l.slot for l in lines if l.task == "rerunner"].count(crashed) == 2,
                            timeout=LEASE + 10)
        taken = time.time()
        self.assertGreater(taken - killed, LEASE - 3)
        time.sleep(2)
        last = time.time() - 1
        self.stop_all()  # and so every log is complete
        abandoned = [(name, r) for name in "abc" for r in self.replicas[name].records()
                     if r.get("task") == "skipper" and "is recorded abandoned" in r.get("message", "")]
        self.assertEqual(len(abandoned), 1, abandoned)
        self.assertIn(datetime.fromtimestamp(crashed, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      abandoned[0][1]["message"])
        # skip: the crashed slot ran once (on "a", killed), and never again.
        skipper = self.lines(task="skipper")
        self.assertEqual([(l.slot, l.replica) for l in skipper if l.slot == crashed], [(crashed, "a")])
        self.assert_each_slot_once("skipper", skipper)
        # rerun: once more, on some replica, with a newer fence; every other slot once.
        rerunner = self.lines(task="rerunner")
        again = [l for l in rerunner if l.slot == crashed]
        self.assertEqual(len(again), 2)
        self.assertGreater(again[1].fence, again[0].fence)
        self.assert_each_slot_once("rerunner", [l for l in rerunner if l.slot != crashed])
        # No slot of the grid is lost meanwhile: the others (and "a" again) claim the next ones.
        for task in ("skipper", "rerunner"):
            self.assert_grid([l.slot for l in self.lines(task=task)], crashed, last, 4)
        rows = SERVER.sql(self.url, "SELECT task, state, replica, previous_replica, takeovers "
                                    f"FROM tasksrun_claims WHERE slot = to_timestamp({crashed}) ORDER BY task")
        self.assertEqual([r[:2] for r in rows], [["rerunner", "ok"], ["skipper", "abandoned"]])
        self.assertEqual(rows[0][3:], ["a", "1"])
        abandoned = [r for r in self.history("b", "skipper") if epoch(r["scheduled"]) == crashed]
        self.assertEqual([(r["outcome"], r["replica"]) for r in abandoned], [("abandoned", "a")])


class PauseTest(ClusterTestCase):
    """SIGSTOP of the replica running a slot, past its lease: another replica takes the slot over;
    the paused one, once continued, neither records its run nor starts another attempt of it."""

    def test_a_replica_paused_past_its_lease_starts_nothing_it_no_longer_holds(self):
        # One slot a minute, the next one in three seconds (the grid is the epoch's plus offset).
        offset = (int(time.time()) + 3) % 60
        tasks = textwrap.dedent(f"""
            [[task]]
            name = "long"
            minutes = 1
            offset = "{offset}s"
            max_retries = 3
            run = '{command(self.out)}; sleep 1; exit 1'
        """)
        self.start_replica("a", tasks)
        self.wait_for_lines(lambda lines: len(lines) == 1, timeout=8)
        self.replicas["a"].signal(signal.SIGSTOP)
        paused = time.time()
        slot = self.lines()[0].slot
        self.start_replica("b", tasks)
        self.replicas["b"].wait_for(lambda rs: any("is recorded abandoned" in r.get("message", "") for r in rs),
                                    timeout=LEASE + 10)
        self.replicas["a"].signal(signal.SIGCONT)
        # "a" hears its command fail and retries within 2 s: the attempt is refused, since the
        # claim is no longer its, and its end is not written over the takeover's record.
        self.replicas["a"].wait_for(lambda rs: any(
            "is no longer this replica's" in r.get("message", "") for r in rs), timeout=10)
        time.sleep(1)
        self.stop_all()
        self.assertGreater(time.time() - paused, LEASE)
        self.assertEqual([(l.slot, l.replica) for l in self.lines()], [(slot, "a")])
        ends = [r for r in self.replicas["a"].records() if r.get("event") == "iteration_end"]
        self.assertEqual([(r["attempt"], r["message"]) for r in ends],
                         [(1, "exit status 1"), (2, "cancelled: not run: the slot is finished (abandoned)")])
        rows = SERVER.sql(self.url, "SELECT state, attempts, replica FROM tasksrun_claims WHERE task = 'long'")
        self.assertEqual(rows, [["abandoned", "1", "a"]])


if __name__ == "__main__":
    unittest.main()

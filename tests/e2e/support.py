"""Shared helpers for end-to-end tests: run the built tasksrun binary on config files."""
import json
import os
import signal
import subprocess
import time
import tempfile
import textwrap
import unittest

BINARY = os.environ.get("TASKSRUN_BIN", os.path.join(os.path.dirname(__file__), "../../build/tasksrun"))
SOURCE_DIR = os.environ.get("TASKSRUN_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "../.."))


class TasksrunTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="tasksrun-e2e-")
        self.dir = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def write_config(self, text, name="tasks.toml"):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(textwrap.dedent(text).lstrip("\n"))
        return path

    def tasksrun(self, *args, env=None, timeout=30):
        full_env = {k: v for k, v in os.environ.items() if k != "TASKSRUN_CONFIG"}
        full_env.update(env or {})
        return subprocess.run([BINARY, *args], capture_output=True, text=True, env=full_env,
                              timeout=timeout, cwd=self.dir)


def processes_in_group(pgid):
    """PIDs of live processes whose process group is `pgid` (zombies excluded)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            found.append(int(entry))
    return found


class Daemon:
    """A running `tasksrun run` with JSON logs captured to a file."""

    def __init__(self, test, config_path, *args, log_name="daemon.log", env=None, prefix=()):
        self.log_path = os.path.join(test.dir, log_name)
        self.log_file = open(self.log_path, "w", encoding="utf-8")
        full_env = {k: v for k, v in os.environ.items() if k != "TASKSRUN_CONFIG"}
        full_env.update(env or {})
        self.process = subprocess.Popen([*prefix, BINARY, "--log-format", "json", "run", "-c", config_path, *args],
                                        stdout=subprocess.DEVNULL, stderr=self.log_file, env=full_env,
                                        cwd=test.dir)
        test.addCleanup(self.kill)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log_file.close()

    def wait(self, timeout):
        return self.process.wait(timeout=timeout)

    def signal(self, sig):
        self.process.send_signal(sig)

    def stop(self, timeout):
        """Asks for a graceful stop (SIGTERM) and returns the exit code."""
        self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def records(self):
        with open(self.log_path, encoding="utf-8") as f:
            text = f.read()
        # A line still being written (or cut by kill -9) is not a record yet.
        complete = text[:text.rfind("\n") + 1]
        return [json.loads(line) for line in complete.splitlines() if line.strip()]

    def events(self, task):
        return [r["event"] for r in self.records() if r.get("task") == task and "event" in r]

    def wait_for(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.records()):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"condition not reached; log:\n{open(self.log_path, encoding='utf-8').read()}")

    def wait_for_event(self, task, event, timeout=10):
        self.wait_for(lambda records: any(r.get("task") == task and r.get("event") == event for r in records), timeout)

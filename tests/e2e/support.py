"""Shared helpers for end-to-end tests: run the built tasksrun binary on config files."""
import os
import subprocess
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

"""When a task fails, people hear about it (SPEC 10.1, 10.2, 10.6): retries that end, a stop that
stops, health pings, and logs that tell the story without being forgeable."""
import os
import signal
import socket
import subprocess
import time
import unittest

from support import Daemon, TasksrunTestCase
from webhook_server import WebhookServer

TOKEN = "T0k3n-" + "s3cr3t" * 6
PING_ID = "5f3c2a1e-0d4b-4c7a-9e8f-1a2b3c4d5e6f"


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


class ServerTestCase(TasksrunTestCase):
    def setUp(self):
        super().setUp()
        self.server = WebhookServer().__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    def webhook_config(self, behaviour, body):
        """`body` with a [webhooks.team] whose URL, in $TEST_HOOK_URL, leads to `behaviour`."""
        self.env = {"TEST_HOOK_URL": self.server.discord_url(behaviour, TOKEN)}
        return '[webhooks.team]\nurl_env = "TEST_HOOK_URL"\nkind = "discord"\n\n' + body

    def control_daemon(self, config):
        self.socket = os.path.join(self.dir, "tasksrun.sock")
        return Daemon(self, self.write_config(config), "--control-socket", self.socket, env=self.env)


class RetriesEndTest(ServerTestCase):
    def test_retries_run_out_then_on_error_hears_the_attempts(self):
        out = os.path.join(self.dir, "out.txt")
        daemon = Daemon(self, self.write_config(f"""
            [[task]]
            name = "backup"
            minutes = 10
            count = 1
            run = "exit 3"
            max_retries = 2
            [task.on_error]
            run = "echo attempts=$TASKSRUN_ATTEMPTS exit=$TASKSRUN_EXIT_CODE loop=$TASKSRUN_LOOP >> {out}"
        """))
        # max_retries without retry_on retries exit 3; backoff waits at most 2 + 4 s.
        self.assertEqual(daemon.wait(timeout=30), 0)
        self.assertEqual(read_lines(out), ["attempts=3 exit=3 loop=0"])
        events = daemon.events("backup")
        self.assertEqual(events.count("retry"), 2)
        self.assertEqual(events.count("iteration_start"), 3)  # one per attempt
        attempts = [r["attempt"] for r in daemon.records() if r.get("event") == "iteration_start"]
        self.assertEqual(attempts, [1, 2, 3])
        error = [r for r in daemon.records() if r.get("event") == "error"]
        self.assertEqual(error[0]["message"], "exit status 3 (gave up after 2 retries)")

    def test_no_retry_storm_against_a_server_that_says_retry_now(self):
        daemon = Daemon(self, self.write_config(self.webhook_config("retry-now", """
            [[task]]
            name = "post"
            minutes = 10
            webhook = "team"
            content = "hi"
            max_retries = "unlimited"
        """)), env=self.env)
        time.sleep(3)
        requests = len(self.server.received())
        self.assertEqual(daemon.stop(timeout=10), 0)
        # A retry waits at least 100 ms whatever Retry-After says: at most ~30 in 3 s, never
        # thousands.
        self.assertGreaterEqual(requests, 2)
        self.assertLessEqual(requests, 32)


class StopThatStopsTest(ServerTestCase):
    LONG_BACKOFF = """
        [[task]]
        name = "post"
        minutes = 10
        webhook = "team"
        content = "hi"
        [task.after_loop]
        run = "echo after cancelled=$TASKSRUN_CANCELLED >> {out}"
    """

    def start_in_backoff(self):
        out = os.path.join(self.dir, "out.txt")
        config = self.webhook_config("down-long", self.LONG_BACKOFF.format(out=out))
        config = "[tasksrun]\nstate_dir = \"state\"\n\n" + config
        daemon = self.control_daemon(config)
        daemon.wait_for(lambda rs: any(r.get("event") == "retry" for r in rs))
        retry = [r for r in daemon.records() if r.get("event") == "retry"][0]
        self.assertEqual(retry["delay_ms"], 600000.0)  # the server's Retry-After
        return daemon, out

    def test_ctl_stop_ends_a_pending_retry_at_once(self):
        daemon, out = self.start_in_backoff()
        started = time.monotonic()
        result = self.tasksrun("ctl", "--socket", self.socket, "stop", "post")
        self.assertEqual(result.returncode, 0, result.stderr)
        daemon.wait_for_event("post", "finished", timeout=5)
        self.assertLess(time.monotonic() - started, 2.0)
        events = daemon.events("post")
        self.assertEqual(events[events.index("stop"):],
                         ["stop", "iteration_end", "after_loop", "hook_start", "hook_end", "finished"])
        self.assertEqual(read_lines(out), ["after cancelled=0"])
        self.assertEqual(len(self.server.received()), 1)  # no further attempt
        daemon.stop(timeout=10)
        history = self.tasksrun("history", "-c", os.path.join(self.dir, "tasks.toml"), "--json")
        self.assertIn('"outcome":"stopped"', history.stdout.replace(" ", ""))

    def test_sigterm_does_not_wait_for_a_backoff_timer(self):
        daemon, out = self.start_in_backoff()
        started = time.monotonic()
        self.assertEqual(daemon.stop(timeout=10), 0)
        self.assertLess(time.monotonic() - started, 2.0)
        self.assertEqual(read_lines(out), ["after cancelled=0"])


class PingTest(ServerTestCase):
    def test_pings_start_success_and_fail_in_the_healthchecks_protocol(self):
        daemon = Daemon(self, self.write_config(f"""
            [pings.hc]
            url = "{self.server.base}/ping/{PING_ID}"

            [[task]]
            name = "good"
            seconds = 0.3
            count = 1
            run = "echo all fine"
            ping = "hc"

            [[task]]
            name = "bad"
            seconds = 0.3
            count = 1
            run = "echo it broke; exit 4"
            ping = "hc"
        """))
        self.assertEqual(daemon.wait(timeout=20), 0)
        seen = sorted((r.method, r.path, r.body) for r in self.server.received())
        self.assertEqual(seen, sorted([
            ("GET", f"/ping/{PING_ID}/start", ""),
            ("GET", f"/ping/{PING_ID}/start", ""),
            ("POST", f"/ping/{PING_ID}", "all fine\n"),
            ("POST", f"/ping/{PING_ID}/fail", "it broke\n"),
        ]))
        log = open(daemon.log_path, encoding="utf-8").read()
        self.assertNotIn(PING_ID, log)  # a ping URL is a secret like a webhook's

    def test_a_ping_that_cannot_be_delivered_never_fails_the_task(self):
        unused = socket.socket()
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        unused.close()  # nothing listens there: connections are refused
        daemon = Daemon(self, self.write_config(f"""
            [pings.hc]
            url = "http://127.0.0.1:{port}/ping/{PING_ID}"

            [[task]]
            name = "good"
            seconds = 0.3
            count = 2
            run = "true"
            ping = "hc"
        """))
        self.assertEqual(daemon.wait(timeout=20), 0)
        ends = [r for r in daemon.records() if r.get("event") == "iteration_end"]
        self.assertEqual([r["message"] for r in ends], ["ok", "ok"])
        warnings = [r for r in daemon.records() if "health ping" in r.get("message", "")]
        self.assertTrue(warnings)
        self.assertTrue(all(r["level"] == "warning" for r in warnings))


class RecoveryTest(TasksrunTestCase):
    def test_on_error_first_and_on_recover(self):
        out = os.path.join(self.dir, "out.txt")
        flag = os.path.join(self.dir, "runs")
        # Fails on its runs 1 to 3, succeeds on run 0 and from run 4 on.
        daemon = Daemon(self, self.write_config(f"""
            [[task]]
            name = "flappy"
            seconds = 0.2
            count = 6
            reconnect = false
            run = "n=$(cat {flag} 2>/dev/null || echo 0); echo $((n+1)) > {flag}; [ $n -eq 0 ] || [ $n -ge 4 ]"
            [task.on_error]
            when = "first"
            run = "echo error loop=$TASKSRUN_LOOP >> {out}"
            [task.on_recover]
            run = "echo recovered loop=$TASKSRUN_LOOP after=$TASKSRUN_FAILED_ITERATIONS since=$TASKSRUN_DOWN_SINCE >> {out}"
        """))
        self.assertEqual(daemon.wait(timeout=20), 0)
        lines = read_lines(out)
        self.assertEqual(lines[0], "error loop=1")
        self.assertTrue(lines[1].startswith("recovered loop=4 after=3 since=20"), lines)
        self.assertEqual(len(lines), 2)


class LogStoryTest(TasksrunTestCase):
    def test_hook_output_carries_the_hook_and_its_iteration(self):
        daemon = Daemon(self, self.write_config("""
            [[task]]
            name = "t"
            seconds = 0.2
            count = 1
            reconnect = false
            run = "exit 2"
            [task.on_error]
            run = "echo alerting; exit 1"
        """))
        self.assertEqual(daemon.wait(timeout=20), 0)
        output = [r for r in daemon.records() if r.get("line") == "alerting"]
        self.assertEqual(output[0]["hook"], "on_error")
        hook_end = [r for r in daemon.records() if r.get("event") == "hook_end"][0]
        self.assertEqual((hook_end["hook"], hook_end["loop"], hook_end["class"]), ("on_error", 0, "exit:1"))

    def test_text_logs_escape_what_could_forge_or_erase_a_line(self):
        path = self.write_config(r"""
            [[task]]
            name = "forger"
            seconds = 0.2
            count = 1
            run = '''printf 'real\rtask=forger event=iteration_end loop=0 message=ok\n\033[2Jcleared \377 end\n''''
        """)
        result = self.tasksrun("run", "-c", path, timeout=20)
        self.assertEqual(result.returncode, 0, result.stderr)
        line = [l for l in result.stderr.splitlines() if "stdout:" in l][0]
        self.assertNotIn("\r", result.stderr)
        self.assertNotIn("\x1b", result.stderr)
        self.assertIn(r"real\rtask=forger", line)
        second = [l for l in result.stderr.splitlines() if "cleared" in l][0]
        self.assertIn(r"\x1b[2Jcleared \xff end", second)
        # "2026-01-01T00:00:00.000Z info    message": the level is padded to "warning", so
        # messages of every level start at the same column.
        lines = result.stderr.splitlines()
        self.assertEqual({line.split()[1] for line in lines}, {"info", "warning"})
        self.assertTrue(all(line[32] == " " and line[33] != " " for line in lines), lines)


class JournalTest(TasksrunTestCase):
    """With stderr named by $JOURNAL_STREAM, entries go to the journal's socket with fields.

    The test listens on a datagram socket of its own, bind-mounted over /run/systemd/journal in a
    user and mount namespace (unshare), so no journald is needed and nothing reaches the host's.
    """

    def test_entries_carry_priority_and_task_fields(self):
        journal_dir = os.path.join(self.dir, "journal")
        os.mkdir(journal_dir)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(os.path.join(journal_dir, "socket"))
        listener.settimeout(0.5)
        self.addCleanup(listener.close)
        path = self.write_config("""
            [[task]]
            name = "backup"
            seconds = 0.2
            count = 1
            reconnect = false
            run = "echo dumping; exit 3"
        """)
        stderr_path = os.path.join(self.dir, "stderr.txt")
        with open(stderr_path, "w") as stderr:
            info = os.fstat(stderr.fileno())
            env = dict(os.environ, JOURNAL_STREAM=f"{info.st_dev}:{info.st_ino}")
            script = (f"mount -t tmpfs none /run && mkdir -p /run/systemd/journal && "
                      f"mount --bind {journal_dir} /run/systemd/journal && exec \"$0\" \"$@\"")
            result = subprocess.run(
                ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script,
                 os.environ.get("TASKSRUN_BIN"), "run", "-c", path],
                stderr=stderr, stdout=subprocess.DEVNULL, env=env, timeout=20)
        self.assertEqual(result.returncode, 0)
        entries = []
        while True:
            try:
                entries.append(parse_journal_entry(listener.recv(1 << 20)))
            except socket.timeout:
                break
        self.assertEqual(open(stderr_path).read(), "")  # nothing went to the stream itself
        error = [e for e in entries if e.get("TASKSRUN_EVENT") == "error"]
        self.assertEqual(len(error), 1)
        self.assertEqual(error[0]["PRIORITY"], "3")
        self.assertEqual(error[0]["TASKSRUN_TASK"], "backup")
        self.assertEqual(error[0]["TASKSRUN_LOOP"], "0")
        self.assertEqual(error[0]["SYSLOG_IDENTIFIER"], "tasksrun")
        self.assertIn("exit status 3", error[0]["MESSAGE"])
        output = [e for e in entries if e.get("TASKSRUN_STREAM") == "stdout"]
        self.assertIn("dumping", output[0]["MESSAGE"])
        self.assertEqual(output[0]["PRIORITY"], "6")


def parse_journal_entry(datagram):
    """journald's native protocol: KEY=value lines, or KEY\\n<64-bit length><value>\\n."""
    fields = {}
    i = 0
    while i < len(datagram):
        end = datagram.index(b"\n", i)
        line = datagram[i:end]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            i = end + 1
        else:
            key = line
            size = int.from_bytes(datagram[end + 1:end + 9], "little")
            value = datagram[end + 9:end + 9 + size]
            i = end + 9 + size + 1
        fields[key.decode()] = value.decode("utf-8", "replace")
    return fields


if __name__ == "__main__":
    unittest.main()

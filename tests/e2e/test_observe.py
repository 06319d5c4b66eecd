"""Observability end to end (SPEC 13): the built daemon with [tasksrun] http, its /metrics read by
the Prometheus project's own text parser (Debian's python3-prometheus-client) and checked against
`tasksrun history` and `ctl status`, /healthz, and the status page loaded in headless Chromium,
with a phone-sized screenshot left in the build directory for people to look at."""
import json
from datetime import datetime
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    # Debian's python3-prometheus-client installs for the system's Python; the tests may run on
    # another interpreter of the same version.
    sys.path.append("/usr/lib/python3/dist-packages")
    from prometheus_client.parser import text_string_to_metric_families

from support import SOURCE_DIR, Daemon, TasksrunTestCase
from webhook_server import WebhookServer

TOKEN = "T0k3n-" + "s3cr3t" * 6
PING_TOKEN = "5a1c0ffee-ping-uuid"
BUILD_DIR = os.environ.get("TASKSRUN_BUILD_DIR", os.path.join(os.path.dirname(__file__), "../../build"))
CHROMIUM = shutil.which("chromium")
# As the project's brief for the headless browser has it: no network of its own, a fresh profile.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OUTCOMES = ("ok", "failed", "cancelled", "stopped")


def fetch(address, path):
    """(status, content type, body) of a GET."""
    try:
        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def samples(metrics_text):
    """{(sample name, frozenset of labels): value} as the Prometheus parser reads them."""
    found = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def unix(rfc3339):
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


def task(name, **keys):
    """One [[task]] table: task("tick", seconds=1, run="true")."""
    lines = ["[[task]]", f'name = "{name}"'] + [f"{key} = {json.dumps(v)}" for key, v in keys.items()]
    return "\n".join(lines) + "\n"


def chromium(url, *args):
    with tempfile.TemporaryDirectory(prefix="tasksrun-chromium-") as profile:
        return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=120)


class ObserveTestCase(TasksrunTestCase):
    def start(self, tasks, settings="", control=False, log_name="daemon.log"):
        self.state = os.path.join(self.dir, "state")
        self.socket = os.path.join(self.dir, "ctl.sock")
        self.config = self.write_config(
            f'[tasksrun]\nstate_dir = "{self.state}"\nhttp = "127.0.0.1:0"\n{settings}\n' + tasks)
        args = ("--control-socket", self.socket) if control else ()
        self.daemon = Daemon(self, self.config, *args, log_name=log_name)
        self.daemon.wait_for(lambda records: any("http: /metrics" in r.get("message", "") for r in records))
        line = next(r["message"] for r in self.daemon.records() if "http: /metrics" in r.get("message", ""))
        self.address = re.search(r" on (127\.0\.0\.1:\d+)$", line).group(1)

    def history(self):
        result = self.tasksrun("history", "-c", self.config, "-n", "1000", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def ctl(self, *args):
        result = self.tasksrun("ctl", "--socket", self.socket, "--json", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)


class MetricsAndPageTest(ObserveTestCase):
    """A few tasks that succeed, fail, retry and post to a webhook; then every endpoint."""

    def setUp(self):
        super().setUp()
        self.server = WebhookServer().__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        os.environ["OBSERVE_HOOK_URL"] = self.server.discord_url("flaky", TOKEN)
        os.environ["OBSERVE_PING_URL"] = f"{self.server.base}/ping/{PING_TOKEN}"
        self.addCleanup(os.environ.pop, "OBSERVE_HOOK_URL", None)
        self.addCleanup(os.environ.pop, "OBSERVE_PING_URL", None)
        self.start('[webhooks.team]\nurl_env = "OBSERVE_HOOK_URL"\nkind = "discord"\n'
                   '[pings.hc]\nurl_env = "OBSERVE_PING_URL"\n'
                   + task("tick", seconds=1, run="true", ping="hc")
                   # Every other attempt exits 75, which is retried.
                   + task("flaky", seconds=2, run="n=$(cat flaky.count 2>/dev/null || echo 0); "
                                                  "echo $((n + 1)) > flaky.count; [ $((n % 2)) -eq 1 ] || exit 75")
                   + task("broken", seconds=2, run="exit 3")
                   + task("post", minutes=10, webhook="team", content="hello")
                   + task("hourly", minutes=60, run_at_start=False, run="true"),
                   control=True)

    def wait_for_runs(self):
        """Until each kind of run has happened; then every loop is stopped, so that nothing moves."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            runs = self.history()
            done = lambda task, outcome, attempts=1: any(
                r["task"] == task and r["outcome"] == outcome and r["attempts"] >= attempts for r in runs)
            if (done("tick", "ok") and done("flaky", "ok", 2) and done("broken", "failed")
                    and done("post", "ok", 3) and sum(r["task"] == "broken" for r in runs) >= 2):
                return
            time.sleep(0.2)
        self.fail(f"the runs did not happen; history: {self.history()}")

    def stop_every_loop(self):
        for task in ("tick", "flaky", "broken", "post"):
            self.ctl("stop", task)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(not t["is_running"] for t in self.ctl("status")["tasks"] if t["task"] != "hourly"):
                if not any(r["outcome"] in ("running", "retrying") for r in self.history()):
                    return
            time.sleep(0.1)
        self.fail("the loops did not stop")

    def test_metrics_agree_with_history_and_ctl_status(self):
        self.wait_for_runs()
        # The gauges of a loop that waits: the next run as ctl status gives it.
        found = samples(fetch(self.address, "/metrics")[2])
        hourly = self.ctl("status", "hourly")["tasks"][0]
        self.assertAlmostEqual(value(found, "tasksrun_task_next_run_timestamp_seconds", task="hourly"),
                               unix(hourly["next_iteration"]), places=5)
        self.assertEqual(value(found, "tasksrun_task_interval_seconds", task="hourly"), 3600)
        self.assertEqual(value(found, "tasksrun_task_interval_seconds", task="tick"), 1)

        self.stop_every_loop()
        status, content_type, text = fetch(self.address, "/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
        found = samples(text)
        runs = self.history()
        for task in ("tick", "flaky", "broken", "post", "hourly"):
            mine = [r for r in runs if r["task"] == task]
            with self.subTest(task=task):
                for outcome in OUTCOMES:
                    self.assertEqual(value(found, "tasksrun_task_runs_total", task=task, outcome=outcome),
                                     sum(r["outcome"] == outcome for r in mine), outcome)
                attempts = sum(v for (name, labels), v in found.items()
                               if name == "tasksrun_task_attempts_total" and ("task", task) in labels)
                self.assertEqual(attempts, sum(r["attempts"] for r in mine))
                self.assertEqual(value(found, "tasksrun_task_running", task=task), 0)
                if not mine:
                    self.assertIsNone(value(found, "tasksrun_task_duration_seconds_count", task=task))
                    continue
                self.assertEqual(value(found, "tasksrun_task_duration_seconds_count", task=task), len(mine))
                self.assertAlmostEqual(value(found, "tasksrun_task_duration_seconds_sum", task=task),
                                       sum(r["duration_ms"] for r in mine) / 1000, delta=0.001 * len(mine))
                self.assertEqual(value(found, "tasksrun_task_lateness_seconds_count", task=task), len(mine))
                self.assertAlmostEqual(value(found, "tasksrun_task_lateness_seconds_sum", task=task),
                                       sum(r["lateness_ms"] for r in mine) / 1000, delta=0.001 * len(mine))
                self.assertEqual(value(found, "tasksrun_task_lateness_seconds_bucket", task=task, le="+Inf"),
                                 len(mine))
                successes = [r for r in mine if r["outcome"] == "ok"]
                last_success = value(found, "tasksrun_task_last_success_timestamp_seconds", task=task)
                if successes:
                    ends = [unix(r["started"]) + r["duration_ms"] / 1000 for r in successes]
                    self.assertAlmostEqual(last_success, max(ends), delta=0.05)
                else:
                    self.assertIsNone(last_success)
        # Attempt classes: the retried exit 75s, the unhandled exit 3, Discord's 502 and 503.
        self.assertGreaterEqual(value(found, "tasksrun_task_attempts_total", task="flaky", **{"class": "exit:75"}), 1)
        self.assertGreaterEqual(value(found, "tasksrun_task_attempts_total", task="broken", **{"class": "exit:3"}), 2)
        self.assertEqual(value(found, "tasksrun_task_attempts_total", task="post", **{"class": "http-5xx"}), 2)
        # The webhook's answers, as the server sent them.
        sent = self.server.statuses()
        for code in ("502", "503", "204"):
            self.assertEqual(value(found, "tasksrun_webhook_requests_total", webhook="team", code=code),
                             sum(str(s) == code for s in sent), code)
        self.assertEqual(value(found, "tasksrun_webhook_rate_limited_seconds_total", webhook="team"), 0)
        version = self.tasksrun("--version").stdout.split()[-1]
        self.assertEqual(value(found, "tasksrun_build_info", version=version), 1)
        self.assertEqual(value(found, "tasksrun_config_reloads_total", result="success"), 0)

    def test_healthz_the_page_in_a_browser_and_no_secret_anywhere(self):
        self.wait_for_runs()
        status, content_type, health = fetch(self.address, "/healthz")
        self.assertEqual((status, health), (200, "ok\n"))
        status, content_type, page = fetch(self.address, "/")
        self.assertEqual(status, 200)
        self.assertEqual(content_type, "text/html; charset=utf-8")
        self.assertEqual(fetch(self.address, "/nothing-here")[0], 404)

        dumped = chromium(f"http://{self.address}/", "--dump-dom")
        self.assertEqual(dumped.returncode, 0, dumped.stderr)
        dom = dumped.stdout
        names = re.findall(r"<h2>([^<]*)</h2>", dom)
        self.assertEqual(names, ["tick", "flaky", "broken", "post", "hourly"])
        self.assertEqual(dom.count('<svg class="timeline"'), 5)
        for mark in ("ok", "failed", "retried"):
            self.assertIn(f'<rect class="{mark}"', dom)
        self.assertIn('<a href="#task-broken">broken</a>', dom)

        screenshot = os.path.join(BUILD_DIR, "observe-status-page.png")
        if os.path.exists(screenshot):
            os.remove(screenshot)
        shot = chromium(f"http://{self.address}/", f"--screenshot={screenshot}", "--window-size=390,844",
                        "--hide-scrollbars")
        self.assertEqual(shot.returncode, 0, shot.stderr)
        with open(screenshot, "rb") as f:
            header = f.read(24)
        self.assertEqual(header[:8], b"\x89PNG\r\n\x1a\n")
        self.assertEqual(struct.unpack(">II", header[16:24]), (390, 844))

        metrics = fetch(self.address, "/metrics")[2]
        lint = subprocess.run(["promtool", "check", "metrics"], input=metrics, capture_output=True, text=True,
                              timeout=60)
        self.assertEqual(lint.returncode, 0, lint.stdout + lint.stderr)
        for text in (metrics, health, page, dom):
            self.assertNotIn(TOKEN, text)
            self.assertNotIn(PING_TOKEN, text)
            self.assertNotIn("s3cr3t", text)
            self.assertNotIn(self.server.base, text)
        # The ping was used (so its URL was in hand to leak).
        self.assertTrue(any(PING_TOKEN in r.path for r in self.server.received()))


class ReloadAndShutdownTest(ObserveTestCase):
    def test_reloads_are_counted_applied_or_refused(self):
        self.start(task("hourly", minutes=60, run="true"))
        self.daemon.signal(signal.SIGHUP)
        self.daemon.wait_for(lambda records: any("reload applied" in r.get("message", "") for r in records))
        with open(self.config, "a", encoding="utf-8") as f:
            f.write('\n[[task]]\nname = "bad"\nseconds = "x"\nrun = "true"\n')
        self.daemon.signal(signal.SIGHUP)
        self.daemon.wait_for(lambda records: any("reload refused" in r.get("message", "") for r in records))
        found = samples(fetch(self.address, "/metrics")[2])
        self.assertEqual(value(found, "tasksrun_config_reloads_total", result="success"), 1)
        self.assertEqual(value(found, "tasksrun_config_reloads_total", result="failure"), 1)
        self.assertEqual(fetch(self.address, "/healthz")[:3:2], (200, "ok\n"))

    def test_healthz_is_503_while_stopping(self):
        self.start(task("slow", seconds=60, run="sleep 3"), settings='shutdown_timeout = "20s"')
        self.daemon.wait_for_event("slow", "iteration_start")
        self.daemon.signal(signal.SIGTERM)
        self.daemon.wait_for(lambda records: any("SIGTERM" in r.get("message", "") for r in records))
        status, _, body = fetch(self.address, "/healthz")
        self.assertEqual((status, body), (503, "stopping\n"))
        self.assertIn("shutting down", fetch(self.address, "/")[2])
        self.assertEqual(self.daemon.wait(30), 0)

    def test_last_success_survives_a_restart(self):
        self.start(task("once", seconds=3600, run="true"))
        self.daemon.wait_for_event("once", "iteration_end")
        before = samples(fetch(self.address, "/metrics")[2])
        last = value(before, "tasksrun_task_last_success_timestamp_seconds", task="once")
        self.assertIsNotNone(last)
        self.assertEqual(self.daemon.stop(30), 0)
        self.start(task("once", seconds=3600, run="true"), log_name="restarted.log")
        after = samples(fetch(self.address, "/metrics")[2])
        # The restart resumes the grid: no new run, and the success is remembered.
        self.assertEqual(value(after, "tasksrun_task_runs_total", task="once", outcome="ok"), 0)
        self.assertAlmostEqual(value(after, "tasksrun_task_last_success_timestamp_seconds", task="once"),
                               last, delta=0.05)

    def test_a_port_in_use_stops_the_start_with_a_clear_message(self):
        self.start(task("hourly", minutes=60, run="true"))
        path = self.write_config(f'[tasksrun]\nhttp = "{self.address}"\n' + task("hourly", minutes=60, run="true"),
                                 name="second.toml")
        second = self.tasksrun("run", "-c", path, timeout=30)
        self.assertEqual(second.returncode, 1)
        self.assertIn(f"http: cannot bind {self.address}: Address already in use", second.stderr)


class PrometheusExamplesTest(unittest.TestCase):
    """The packaged scrape job and alert rules, as Prometheus' own promtool reads and runs them."""
    examples = os.path.join(SOURCE_DIR, "packaging", "prometheus")

    def promtool(self, *args):
        result = subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=60,
                                cwd=self.examples)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result.stdout

    def test_the_scrape_config_is_valid_and_finds_the_rules(self):
        self.assertIn("SUCCESS: 1 rule files found", self.promtool("check", "config", "prometheus.yml"))

    def test_the_alert_rules_pass_their_unit_tests(self):
        self.assertIn("SUCCESS", self.promtool("test", "rules", "tasksrun-alerts.test.yml"))


if __name__ == "__main__":
    unittest.main()

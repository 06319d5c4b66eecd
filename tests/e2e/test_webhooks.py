"""Webhooks end to end: the built daemon posting to a loopback server that answers like Discord."""
import json
import os
import time
import unittest

from support import Daemon, TasksrunTestCase

from webhook_server import WebhookServer

TOKEN = "T0k3n-" + "s3cr3t" * 6


def memory_kib(pid, field):
    """VmRSS (now) or VmHWM (peak) of a process, in KiB."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


class WebhookTestCase(TasksrunTestCase):
    def setUp(self):
        super().setUp()
        self.server = WebhookServer().__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)

    def run_daemon(self, config, behaviour, env_extra=None, timeout=30):
        os.environ["TEST_HOOK_URL"] = self.server.discord_url(behaviour, TOKEN)
        self.addCleanup(os.environ.pop, "TEST_HOOK_URL", None)
        daemon = Daemon(self, self.write_config('[webhooks.team]\nurl_env = "TEST_HOOK_URL"\nkind = "discord"\n\n' + config))
        return daemon

    @staticmethod
    def post_task(**keys):
        """One [[task]] posting "hi" to the team webhook every 10 minutes, with `keys` added."""
        lines = ['[[task]]', 'name = "post"', 'minutes = 10', 'webhook = "team"', 'content = "hi"']
        lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
        return "\n".join(lines) + "\n"

    def assert_no_secret_in(self, text):
        self.assertNotIn(TOKEN, text)
        self.assertNotIn("s3cr3ts3cr3t", text)


class DiscordTest(WebhookTestCase):
    def test_posts_templated_content_to_the_v10_api(self):
        daemon = self.run_daemon("""
[[task]]
name = "standup"
seconds = 0.2
count = 2
webhook = "team"
content = "Stand-up: run {{loop}} of {{task}}"
username = "Reminder"
""", "ok")
        self.assertEqual(daemon.wait(timeout=20), 0)
        received = self.server.received()
        self.assertEqual(len(received), 2)
        first = received[0]
        self.assertEqual(first.method, "POST")
        self.assertEqual(first.path, f"/api/v10/webhooks/ok/{TOKEN}")
        self.assertEqual(first.headers["Content-Type"], "application/json")
        self.assertTrue(first.headers["User-Agent"].startswith("tasksrun/"))
        self.assertEqual([r.json()["content"] for r in received],
                         ["Stand-up: run 0 of standup", "Stand-up: run 1 of standup"])
        self.assertEqual(first.json()["username"], "Reminder")
        self.assertEqual(first.json()["allowed_mentions"], {"parse": []})

    def test_an_on_error_hook_posts_the_exit_code_and_output_tail_as_valid_json(self):
        nasty = 'line one\nquote " backslash \\ tab\tbrace {{task}} unicode \u00e9\u2713 control \x01\n'
        output = os.path.join(self.dir, "output.txt")
        with open(output, "w", encoding="utf-8") as f:
            f.write(nasty)
        daemon = self.run_daemon(f"""
[[task]]
name = "backup"
seconds = 1
reconnect = false
run = "cat {output}; exit 3"
[task.on_error]
webhook = "team"
content = "backup failed (exit {{{{exit_code}}}}): {{{{output_tail}}}}"
then = "stop"
""", "ok")
        self.assertEqual(daemon.wait(timeout=20), 1)
        received = self.server.received()
        self.assertEqual(len(received), 1)
        self.assertEqual(received[0].json()["content"], "backup failed (exit 3): " + nasty)

    def test_a_429_is_honoured_for_exactly_its_retry_after(self):
        daemon = self.run_daemon(self.post_task(count=1), "limited-once")
        self.assertEqual(daemon.wait(timeout=20), 0)
        first, second = self.server.received()
        gap = second.time - first.time
        self.assertGreaterEqual(gap, 1.5)
        self.assertLess(gap, 2.5)  # the body's 1.5 s, not the header's rounded 2 s plus backoff
        retry = [r for r in daemon.records() if r.get("event") == "retry"]
        self.assertEqual(retry[0]["class"], "http-429")
        self.assertEqual(retry[0]["delay_ms"], 1500.0)

    def test_a_global_429_holds_every_request(self):
        daemon = self.run_daemon(self.post_task(count=1), "global-once")
        self.assertEqual(daemon.wait(timeout=20), 0)
        first, second = self.server.received()
        self.assertGreaterEqual(second.time - first.time, 0.75)
        self.assertIn("(global)", [r for r in daemon.records() if r.get("event") == "retry"][0]["message"])

    def test_a_5xx_is_retried_with_backoff(self):
        daemon = self.run_daemon(self.post_task(count=1), "flaky")
        self.assertEqual(daemon.wait(timeout=30), 0)
        self.assertEqual(self.server.statuses(), [502, 503, 204])
        retries = [r for r in daemon.records() if r.get("event") == "retry"]
        self.assertEqual([r["class"] for r in retries], ["http-5xx", "http-5xx"])
        self.assertTrue(all(r["delay_ms"] <= 4000 for r in retries))

    def test_a_deleted_webhook_is_an_unhandled_failure_that_says_what_to_do(self):
        daemon = self.run_daemon(self.post_task(on_error="stop"), "gone")
        self.assertEqual(daemon.wait(timeout=20), 1)
        self.assertEqual(len(self.server.received()), 1)  # not retried
        error = [r for r in daemon.records() if r.get("event") == "error"][0]
        self.assertEqual(error["class"], "http-4xx")
        self.assertIn("HTTP 404 Unknown Webhook", error["message"])
        self.assertIn("put its URL in $TEST_HOOK_URL", error["message"])
        self.assertIn("/api/webhooks/gone/…", error["message"])

    def test_an_html_429_backs_off_for_minutes_and_says_so_loudly(self):
        # After SIGTERM a handled failure keeps being retried (discord.py's rule) until the
        # shutdown budget runs out; keep that short here.
        daemon = self.run_daemon('[tasksrun]\nshutdown_timeout = "0.5s"\n' + self.post_task(), "html-429")
        daemon.wait_for_event("post", "retry")
        time.sleep(1.5)  # the header's Retry-After: 1 alone would have retried by now
        self.assertEqual(daemon.stop(timeout=20), 0)
        self.assertEqual(len(self.server.received()), 1)
        retry = [r for r in daemon.records() if r.get("event") == "retry"][0]
        self.assertGreaterEqual(retry["delay_ms"], 300000)
        loud = [r for r in daemon.records() if r.get("level") == "error" and "banned" in r.get("message", "")]
        self.assertEqual(len(loud), 1)

    def test_a_slow_server_is_a_timeout(self):
        daemon = self.run_daemon(self.post_task(timeout="1s", reconnect=False, on_error="stop"), "slow")
        self.assertEqual(daemon.wait(timeout=20), 1)
        error = [r for r in daemon.records() if r.get("event") == "error"][0]
        self.assertEqual(error["class"], "timeout")

    def test_a_huge_answer_is_read_and_capped(self):
        # 200 with a 5 MB body, four times: each is read to its end (the connection stays
        # usable) but kept only up to 64 KiB, so the daemon does not grow by what a server sends.
        daemon = self.run_daemon("""
[[task]]
name = "post"
seconds = 0.3
count = 4
webhook = "team"
content = "hi"

[[task]]
name = "keeper"
minutes = 10
run_at_start = false
run = "true"
""", "huge")
        daemon.wait_for_event("post", "iteration_end")
        baseline = memory_kib(daemon.process.pid, "VmRSS")
        daemon.wait_for(lambda rs: sum(r.get("event") == "iteration_end" for r in rs) == 4)
        peak = memory_kib(daemon.process.pid, "VmHWM")
        self.assertEqual(daemon.stop(timeout=20), 0)
        ends = [r["message"] for r in daemon.records() if r.get("event") == "iteration_end"]
        self.assertEqual(ends, ["ok"] * 4)
        self.assertEqual(self.server.statuses(), [200] * 4)
        self.assertLess(peak - baseline, 4 * 1024, "the daemon kept what the server sent")

    def test_twenty_tasks_sharing_a_webhook_pace_themselves_without_a_429(self):
        tasks = "".join(f"""
[[task]]
name = "t{i}"
seconds = 1
webhook = "team"
content = "message from task {i}"
""" for i in range(20))
        daemon = self.run_daemon('[tasksrun]\nshutdown_timeout = "0.5s"\n' + tasks, "enforce")
        # Across one reset of the window, over real HTTP; the pacing over many windows is the
        # rate limiter's unit test.
        time.sleep(2.5)
        self.assertEqual(daemon.stop(timeout=20), 0)
        statuses = self.server.statuses()
        self.assertNotIn(429, statuses)
        self.assertGreaterEqual(statuses.count(204), 6)  # 5 in the first 2 s window, then more

    def test_the_token_never_reaches_the_logs(self):
        for behaviour in ("ok", "gone", "flaky"):
            for log_format in ("text", "json"):
                with self.subTest(behaviour=behaviour, log_format=log_format):
                    os.environ["TEST_HOOK_URL"] = self.server.discord_url(behaviour, TOKEN)
                    # The command cannot see $TEST_HOOK_URL (url_env variables are hidden from
                    # commands), so it prints the URL from a file of its own.
                    leak = os.path.join(self.dir, "leak.txt")
                    with open(leak, "w") as f:
                        f.write(os.environ["TEST_HOOK_URL"])
                    path = self.write_config(f"""
[webhooks.team]
url_env = "TEST_HOOK_URL"
kind = "discord"
[[task]]
name = "post"
minutes = 10
count = 1
reconnect = false
on_error = "stop"
webhook = "team"
content = "hi"
[[task]]
name = "leaky"
minutes = 10
count = 1
run = "echo the url is $(cat {leak})"
""")
                    result = self.tasksrun("--log-format", log_format, "--log-level", "trace", "-c", path, timeout=60)
                    self.assert_no_secret_in(result.stdout + result.stderr)
                    self.assertIn("the url is [redacted]", result.stderr)
        os.environ.pop("TEST_HOOK_URL", None)


class SecretsTest(WebhookTestCase):
    def test_an_unset_variable_stops_the_start_and_names_it(self):
        os.environ.pop("TEST_HOOK_URL", None)
        path = self.write_config("""
[webhooks.team]
url_env = "TEST_HOOK_URL"
kind = "discord"
[[task]]
name = "post"
minutes = 10
webhook = "team"
content = "hi"
""")
        result = self.tasksrun("-c", path)
        self.assertEqual(result.returncode, 78)
        self.assertIn('task "post", webhook "team": the environment variable TEST_HOOK_URL is not set', result.stderr)

    def test_url_file_as_systemd_credentials_provide_it(self):
        secret = os.path.join(self.dir, "team.url")
        with open(secret, "w", encoding="utf-8") as f:
            f.write(self.server.discord_url("ok", TOKEN) + "\n")
        path = self.write_config(f"""
[webhooks.team]
url_file = "{secret}"
kind = "discord"
[[task]]
name = "post"
minutes = 10
count = 1
webhook = "team"
content = "from a file"
""")
        result = self.tasksrun("-c", path, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.server.received()[0].json()["content"], "from a file")

    def test_check_and_next_never_print_the_url(self):
        path = self.write_config(f"""
[webhooks.team]
url = "{self.server.discord_url('ok', TOKEN)}"
kind = "discord"
[[task]]
name = "post"
minutes = 10
webhook = "team"
content = "hi"
""")
        os.chmod(path, 0o644)
        for args in (["check", "-c", path], ["next", "-c", path], ["next", "-c", path, "--json"]):
            result = self.tasksrun(*args)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assert_no_secret_in(result.stdout + result.stderr)
        warning = self.tasksrun("check", "-c", path).stderr
        self.assertIn('warning: webhook "team" has its URL, a secret, in this file, which other users can read', warning)


if __name__ == "__main__":
    unittest.main()

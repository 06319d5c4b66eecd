"""Posting a command's output, keeping every secret inside, and `check` telling the truth
(SPEC 10.3, 10.4, 10.5), against the loopback Discord imitation."""
import os
import stat
import subprocess
import unittest

from support import Daemon, SOURCE_DIR, TasksrunTestCase
from webhook_server import WebhookServer

TOKEN = "T0k3n-" + "s3cr3t" * 6


class OutputTestCase(TasksrunTestCase):
    def setUp(self):
        super().setUp()
        self.server = WebhookServer().__enter__()
        self.addCleanup(self.server.__exit__, None, None, None)
        self.env = {"TEST_HOOK_URL": self.server.discord_url("ok", TOKEN)}

    def run_to_end(self, body, timeout=30):
        config = '[webhooks.team]\nurl_env = "TEST_HOOK_URL"\nkind = "discord"\n\n' + body
        daemon = Daemon(self, self.write_config(config), env=self.env)
        self.assertEqual(daemon.wait(timeout=timeout), 0)
        return daemon


class PostOutputTest(OutputTestCase):
    def test_a_long_output_is_posted_within_discords_limits_with_its_end(self):
        self.run_to_end("""
            [[task]]
            name = "numbers"
            seconds = 0.2
            count = 1
            run = "seq 1 1000"
            [task.on_success]
            webhook = "team"
            content = "numbers:\\n{{output}}"
            [[task.on_success.embeds]]
            title = "tail"
            description = "{{output_tail}}"
        """)
        received = self.server.received()
        self.assertEqual(len(received), 1)
        body = received[0].json()
        content = body["content"]
        self.assertEqual(len(content), 2000)  # Python counts code points, as Discord does
        self.assertTrue(content.startswith("numbers:\n\u2026"))
        self.assertTrue(content.endswith("998\n999\n1000\n"))
        description = body["embeds"][0]["description"]
        self.assertLessEqual(len(description), 4096)
        self.assertTrue(description.endswith("999\n1000\n"))
        self.assertEqual(self.server.statuses(), [204])

    def test_the_whole_output_is_attached_byte_for_byte(self):
        data = os.path.join(self.dir, "data.bin")
        with open(data, "wb") as f:
            # 200 KB of every byte value but newline-free runs, so nothing is a text accident.
            f.write(bytes(range(256)) * 800)
        self.run_to_end(f"""
            [[task]]
            name = "dump"
            seconds = 0.2
            count = 1
            run = "cat {data}"
            output_limit = "1MiB"
            [task.on_success]
            webhook = "team"
            content = "the dump is attached"
            attach_output = true
        """)
        received = self.server.received()
        self.assertEqual(len(received), 1)
        self.assertTrue(received[0].headers["Content-Type"].startswith("multipart/form-data"))
        parts = received[0].parts()
        self.assertEqual(set(parts), {"payload_json", "files[0]"})
        filename, attached = parts["files[0]"]
        self.assertEqual(filename, "output.txt")
        with open(data, "rb") as f:
            self.assertEqual(attached, f.read())
        payload = received[0].json()
        self.assertEqual(payload["content"], "the dump is attached")
        self.assertEqual(payload["attachments"], [{"id": 0, "filename": "output.txt"}])
        self.assertEqual(self.server.statuses(), [204])


class SecretsTest(OutputTestCase):
    def test_no_token_reaches_a_request_body_or_a_command(self):
        url_file = os.path.join(self.dir, "url")
        with open(url_file, "w") as f:
            f.write(self.server.discord_url("ok", TOKEN) + "\n")
        env_dump = os.path.join(self.dir, "env.txt")
        hook_env_dump = os.path.join(self.dir, "hook-env.txt")
        self.env["OTHER_VARIABLE"] = "kept"
        self.run_to_end(f"""
            [webhooks.leaky]
            url_file = "{url_file}"
            kind = "discord"

            [[task]]
            name = "leaky"
            seconds = 0.2
            count = 1
            run = "env > {env_dump}; echo token: $(cat {url_file}); echo var: $TEST_HOOK_URL; exit 1"
            reconnect = false
            [task.on_error]
            webhook = "leaky"
            content = "failed: {{{{output}}}} / {{{{output_tail}}}} / {{{{error}}}}"
            attach_output = true
            [task.after_loop]
            run = "env > {hook_env_dump}"
        """)
        received = self.server.received()
        self.assertEqual(len(received), 1)
        for request in received:
            self.assertNotIn(TOKEN.encode(), request.raw)
            self.assertNotIn(b"s3cr3ts3cr3t", request.raw)
        self.assertIn("token: [redacted]", received[0].json()["content"])
        for dump in (env_dump, hook_env_dump):
            with open(dump) as f:
                names = {line.split("=", 1)[0] for line in f}
            self.assertNotIn("TEST_HOOK_URL", names)  # named by a url_env
            self.assertIn("OTHER_VARIABLE", names)

    def test_daemon_files_are_private_whatever_the_umask(self):
        state = os.path.join(self.dir, "new", "state")
        config = self.write_config(f"""
            [tasksrun]
            state_dir = "{state}"
            [[task]]
            name = "t"
            seconds = 0.2
            count = 3
            run = "sleep 0.3"
        """)
        daemon = Daemon(self, config, prefix=("sh", "-c", 'umask 022; exec "$0" "$@"'))
        daemon.wait_for_event("t", "iteration_end", timeout=10)
        modes = {name: stat.S_IMODE(os.stat(os.path.join(state, name)).st_mode)
                 for name in os.listdir(state)}
        self.assertEqual(daemon.wait(timeout=20), 0)
        self.assertEqual(stat.S_IMODE(os.stat(state).st_mode), 0o700)
        self.assertIn("state.db-wal", modes)  # seen while the daemon ran
        self.assertEqual(set(modes.values()), {0o600}, modes)


class CheckVerdictTest(TasksrunTestCase):
    CONFIG = """
        [webhooks.team]
        {source}
        {kind}

        [[task]]
        name = "post"
        minutes = 1
        webhook = "team"
        content = "hi"
    """

    def check(self, source, kind="", env=None, *flags):
        path = self.write_config(self.CONFIG.format(source=source, kind=kind))
        return self.tasksrun("check", "-c", path, *flags, env=env or {}), path

    def test_check_refuses_what_the_daemon_refuses(self):
        result, path = self.check('url_env = "HOOK_NOT_SET"')
        self.assertEqual(result.returncode, 78)
        self.assertEqual(result.stderr.splitlines()[0],
                         f'{path}:1:11: task "post", webhook "team": the environment variable '
                         f'HOOK_NOT_SET is not set')
        daemon = self.tasksrun("run", "-c", path)
        self.assertEqual(daemon.returncode, 78)

        result, _ = self.check(f'url_file = "{self.dir}/missing"')
        self.assertEqual(result.returncode, 78)
        self.assertIn("cannot read", result.stderr)

        # Discord body keys, but the URL in hand is Slack's.
        result, _ = self.check('url_env = "HOOK"', "",
                               {"HOOK": "https://hooks.slack.com/services/T0/B0/" + TOKEN})
        self.assertEqual(result.returncode, 78)
        self.assertIn("its URL is a slack webhook but the task's body keys are discord ones",
                      result.stderr)
        self.assertNotIn(TOKEN, result.stderr)

    def test_check_no_secrets_is_for_ci(self):
        result, _ = self.check('url_env = "HOOK_NOT_SET"', "", None, "--no-secrets")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("1 task valid", result.stdout)

    def test_a_good_config_passes(self):
        result, _ = self.check('url_env = "HOOK"', "", {"HOOK": "https://discord.com/api/webhooks/1/" + TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_run_once_resolves_only_what_it_uses(self):
        example = os.path.join(SOURCE_DIR, "config", "tasks.toml")
        env = {"DISCORD_WEBHOOK_URL": "", "BACKUP_HEALTHCHECK_URL": ""}
        result = self.tasksrun("run-once", "-c", example, "backup", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        result = self.tasksrun("run-once", "-c", example, "backup", "--hooks", env=env)
        self.assertEqual(result.returncode, 78)
        self.assertIn("DISCORD_WEBHOOK_URL is not set", result.stderr)


if __name__ == "__main__":
    unittest.main()

#!/usr/bin/env python3
"""Posting a command's 1 MiB output as an attachment (attach_output): time and memory.

A task prints just over 1 MiB (15,000 lines of 70 characters) every 3 s; its on_success hook
posts to the loopback Discord imitation of the end-to-end tests, once with the whole output
attached as output.txt (multipart/form-data) and, as the peer in the same run, once with only
{{output_tail}} in the content. Reported per variant: the size of the request the server got,
the post's time (the on_success hook's duration as the daemon logs it: building the request,
sending it and reading the answer), median and max over the runs, the daemon's peak RSS
(VmHWM) and its private memory (Private_Clean + Private_Dirty) after the runs.

Usage: attachment_bench.py BUILD_DIR [--runs 10]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from daemon_bench import private_mib, rss_mib  # noqa: E402
from webhook_server import WebhookServer  # noqa: E402

TOKEN = "bench-" + "t0k3n" * 12
LINES = 15_000  # of 70 characters: 1,050,000 bytes; output_limit (1 MiB) keeps 1,048,576 of them


def config(attach):
    hook = ('content = "dump done"\nattach_output = true' if attach
            else 'content = "dump done: {{output_tail}}"')
    line = "a line of printed output, seventy bytes long with its newline, as a.."
    return f"""
[webhooks.team]
url_env = "BENCH_HOOK_URL"
kind = "discord"

[[task]]
name = "dump"
seconds = 3
run = "yes '{line}' | head -n {LINES}"

[task.on_success]
webhook = "team"
{hook}
"""


def hook_durations_ms(log_path):
    durations = []
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record.get("event") == "hook_end" and record.get("hook") == "on_success":
                durations.append(record["duration_ms"])
    return durations


def run_variant(binary, attach, runs):
    with tempfile.TemporaryDirectory() as tmp, WebhookServer() as server:
        path = os.path.join(tmp, "tasks.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(config(attach))
        log_path = os.path.join(tmp, "daemon.log")
        env = dict(os.environ, BENCH_HOOK_URL=server.discord_url("ok", TOKEN))
        with open(log_path, "w", encoding="utf-8") as log:
            daemon = subprocess.Popen([binary, "--log-format", "json", "-c", path],
                                      stderr=log, stdout=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + 3 * runs + 30
            while len(server.received()) < runs and time.monotonic() < deadline:
                time.sleep(0.2)
            time.sleep(0.5)  # the last hook_end reaches the log
            peak = rss_mib(daemon.pid, "VmHWM")
            private = private_mib(daemon.pid)
        finally:
            daemon.terminate()
            daemon.wait(timeout=30)
        received = server.received()[:runs]
        durations = hook_durations_ms(log_path)[:runs]
        if len(received) < runs or len(durations) < runs:
            raise SystemExit(f"only {len(received)} of {runs} posts arrived")
        return {"variant": "attach_output: output.txt" if attach else "peer: {{output_tail}} only",
                "request_kib": statistics.median(len(r.raw) for r in received) / 1024,
                "p50": statistics.median(durations), "max": max(durations),
                "peak": peak, "private": private}


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build_dir")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    binary = os.path.join(args.build_dir, "tasksrun")
    print(f"{args.runs} posts each of a {LINES * 70 / 1024 / 1024:.2f} MiB output")
    print(f"{'variant':28} {'request':>11} {'post p50':>9} {'post max':>9} {'peak RSS':>10} {'private':>9}")
    for attach in (False, True):
        r = run_variant(binary, attach, args.runs)
        print(f"{r['variant']:28} {r['request_kib']:>8.0f}KiB {r['p50']:>7.1f}ms {r['max']:>7.1f}ms "
              f"{r['peak']:>7.1f}MiB {r['private']:>6.1f}MiB")


if __name__ == "__main__":
    main()

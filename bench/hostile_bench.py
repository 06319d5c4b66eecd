#!/usr/bin/env python3
"""Hostile input against the real daemon: what each attack costs a 0.2 s tick task and memory.

Each attack runs against a fresh `tasksrun run` (JSON logs, a control socket) whose config has a
tick task every 0.2 s (running `true`), measured while the attack runs:
  pipeline   a control client pipelines `status` requests for ATTACK seconds, never reading
  silent64   64 connections that send nothing, then `tasksrun ctl status` (its time and exit)
  yes-spam   a task every 2 s running `yes spam & sleep 0.1` (the shell exits while yes writes), for ATTACK seconds
  429-neg    a webhook answering 429 {"retry_after": -1000}, for ATTACK seconds
  500-zero   a webhook answering 500 with Retry-After: 0, for ATTACK seconds
Reported: tick starts seen of those due, lateness p50/p99 (the log's lateness_ms of the tick's
iteration_start lines within the attack), the longest gap between tick starts (a stalled loop
skips the slots it missed, so a stall shows as a gap more than as lateness), peak RSS and peak private memory (Private_Clean + Private_Dirty from
/proc/PID/smaps_rollup) sampled every 20 ms, and what the attack achieved.

Each attack runs --runs times (3), each on a fresh daemon; the table shows medians.

Usage: hostile_bench.py BUILD_DIR [--seconds 10] [--runs 3] [--only pipeline,silent64,...]
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "e2e"))
import hostile  # noqa: E402
from webhook_server import WebhookServer  # noqa: E402


def start_daemon(binary, workdir, config, env=None):
    path = os.path.join(workdir, "tasks.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(hostile.TICK_TASK + config)
    socket_path = os.path.join(workdir, "tasksrun.sock")
    log_path = os.path.join(workdir, "daemon.log")
    log = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen([binary, "--log-format", "json", "run", "-c", path,
                                "--control-socket", socket_path],
                               stdout=subprocess.DEVNULL, stderr=log, cwd=workdir,
                               env={**os.environ, **(env or {})})
    deadline = time.monotonic() + 10
    while not os.path.exists(socket_path) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)  # a few ticks before the attack
    return process, log, log_path, socket_path


def measure(binary, config, attack, env=None):
    """One attack against a fresh daemon: a dict of what the table shows."""
    with tempfile.TemporaryDirectory(prefix="tasksrun-hostile-") as workdir:
        process, log, log_path, socket_path = start_daemon(binary, workdir, config, env)
        try:
            since = time.time()
            with hostile.MemorySampler(process.pid) as memory:
                note = attack(socket_path, process)
            until = time.time()
            # A stalled daemon logs the ticks late: give it a moment, then stop it hard.
            time.sleep(0.5)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
            log.close()
        starts = hostile.tick_starts(log_path, since, until)
        log_mib = os.path.getsize(log_path) / 2**20
    lateness = [late for _, late in starts] or [float("nan")]
    return {"ticks": len(starts), "due": int((until - since) / 0.2),
            "p50": hostile.percentile(lateness, 50), "p99": hostile.percentile(lateness, 99),
            "gap": hostile.longest_gap_ms(starts, since, until),
            "rss": memory.peak_rss_kib / 1024, "private": memory.peak_private_kib / 1024,
            "log": log_mib, "note": note}


def report(name, runs):
    """The median of each figure over the runs (the note of the median run by gap)."""
    def median(key):
        return statistics.median(run[key] for run in runs)
    middle = sorted(runs, key=lambda run: run["gap"])[len(runs) // 2]
    print(f"{name:<10} {median('ticks'):>3.0f}/{median('due'):<3.0f} {median('p50'):8.1f} "
          f"{median('p99'):9.1f} {median('gap'):9.0f} {median('rss'):9.1f} {median('private'):9.1f} "
          f"{median('log'):8.1f}  {middle['note']}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--only", default="pipeline,silent64,yes-spam,429-neg,500-zero")
    parser.add_argument("--runs", type=int, default=3, help="runs of each attack; medians shown")
    args = parser.parse_args()
    binary = os.path.abspath(os.path.join(args.build_dir, "tasksrun"))
    seconds = args.seconds
    chosen = args.only.split(",")
    print(f"{'attack':<10} {'ticks':>7} {'p50 ms':>8} {'p99 ms':>9} {'gap ms':>9} {'RSS MiB':>9} "
          f"{'priv MiB':>9} {'log MiB':>8}  achieved")

    def pipeline(socket_path, _):
        sent = hostile.pipeline_without_reading(socket_path, seconds)
        return f"{sent / 2**20:.1f} MiB of requests sent"

    def silent64(socket_path, _):
        connections = hostile.silent_connections(socket_path, 64)
        started = time.monotonic()
        result = subprocess.run([binary, "ctl", "--socket", socket_path, "status"],
                                capture_output=True, text=True, timeout=120)
        took = time.monotonic() - started
        time.sleep(max(0.0, seconds - took))
        for connection in connections:
            connection.close()
        return f"ctl status: exit {result.returncode} after {took:.2f} s"

    def spam(_, __):
        time.sleep(seconds)
        return "yes spam & sleep 0.1, every 2 s"

    def repeated(name, config, attack, env=None):
        report(name, [measure(binary, config, attack, env) for _ in range(args.runs)])

    if "pipeline" in chosen:
        repeated("pipeline", "", pipeline)
    if "silent64" in chosen:
        repeated("silent64", "", silent64)
    if "yes-spam" in chosen:
        repeated("yes-spam", '[[task]]\nname = "spam"\nseconds = 2\nrun = "yes spam & sleep 0.1"\n',
                 spam)
    server_class = hostile.absurd_server_class(WebhookServer)
    for name, behaviour in (("429-neg", "negative-429"), ("500-zero", "zero-500")):
        if name not in chosen:
            continue
        with server_class() as server:
            config, env = hostile.absurd_webhook(server, behaviour)

            def hammered(_, __, server=server, behaviour=behaviour):
                time.sleep(seconds)
                return f"{server.count(behaviour) / seconds:.1f} requests/s to the server"

            repeated(name, config, hammered, env)


if __name__ == "__main__":
    main()

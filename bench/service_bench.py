#!/usr/bin/env python3
"""The daemon as a service on a 10,000-task config: how long a reload takes to apply when one
task changed, whether any unchanged task missed or doubled a slot across the reloads, and how
long `ctl status` takes. `tasksrun check` on the same file, in the same run, is the reference:
a reload parses and validates the whole file as check does, then compares it.

Usage: service_bench.py BUILD_DIR [--tasks N] [--probes P] [--reloads R]
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

from daemon_bench import rss_mib


def write_config(path, tasks, probes, version):
    with open(path, "w", encoding="utf-8") as f:
        # Probes fire every second: the tasks whose slots the reloads must not disturb.
        for i in range(probes):
            f.write(f'[[task]]\nname = "probe-{i:03d}"\nseconds = 1\ncommand = ["true"]\n\n')
        for i in range(tasks - probes):
            f.write(f'[[task]]\nname = "idle-{i:05d}"\ncron = "{i % 60} {i % 24} * * *"\n'
                    f'timezone = "Europe/Berlin"\ncommand = ["true"]\n\n')
        # The one task each reload changes.
        f.write(f'[[task]]\nname = "edited"\nminutes = 60\nrun_at_start = false\n'
                f'run = "echo version {version}"\n')


def timed(command, runs):
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def records(log_path):
    with open(log_path, encoding="utf-8") as f:
        text = f.read()
    return [json.loads(line) for line in text[:text.rfind("\n") + 1].splitlines() if line]


def wait_for(log_path, predicate, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate(records(log_path)):
            return
        time.sleep(0.1)
    sys.exit("the daemon did not get there in time")


def slot_check(all_records, probes):
    """Slots per probe, and how many were missed (a gap in the 1 s grid) or doubled."""
    slots = missed = doubled = restarts = 0
    for i in range(probes):
        name = f"probe-{i:03d}"
        scheduled = [datetime.fromisoformat(r["scheduled"].replace("Z", "+00:00")).timestamp()
                     for r in all_records if r.get("task") == name and r.get("event") == "iteration_start"]
        starts = sum(1 for r in all_records if r.get("task") == name and r.get("event") == "start")
        restarts += starts - 1
        slots += len(scheduled)
        doubled += len(scheduled) - len(set(scheduled))
        ordered = sorted(set(scheduled))
        missed += sum(round(b - a) - 1 for a, b in zip(ordered, ordered[1:]))
    return slots, missed, doubled, restarts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--probes", type=int, default=100)
    parser.add_argument("--reloads", type=int, default=5)
    args = parser.parse_args()
    binary = os.path.abspath(os.path.join(args.build_dir, "tasksrun"))

    with tempfile.TemporaryDirectory(prefix="tasksrun-service-bench-") as tmp:
        config = os.path.join(tmp, "tasks.toml")
        socket = os.path.join(tmp, "tasksrun.sock")
        log_path = os.path.join(tmp, "daemon.log")
        write_config(config, args.tasks, args.probes, 0)
        check_ms = timed([binary, "check", "-c", config], 5)

        log = open(log_path, "w", encoding="utf-8")
        daemon = subprocess.Popen([binary, "--log-format", "json", "run", "-c", config,
                                   "--control-socket", socket], stdout=subprocess.DEVNULL, stderr=log)
        wait_for(log_path, lambda rs: sum(1 for r in rs if r.get("event") == "iteration_end") >= 3 * args.probes)

        status_all_ms = timed([binary, "ctl", "--socket", socket, "--json", "status"], 10)
        status_one_ms = timed([binary, "ctl", "--socket", socket, "--json", "status", "idle-00042"], 10)
        reply = subprocess.run([binary, "ctl", "--socket", socket, "--json", "status"],
                               capture_output=True, check=True).stdout
        rss_before = rss_mib(daemon.pid, "VmRSS")

        applied = []
        rss_after_each = []
        for version in range(1, args.reloads + 1):
            write_config(config, args.tasks, args.probes, version)
            daemon.send_signal(signal.SIGHUP)
            wait_for(log_path, lambda rs, n=version: sum(
                1 for r in rs if r.get("message", "").startswith("reload applied in ")) >= n)
            time.sleep(2)  # let the probes fire across and after the reload
            rss_after_each.append(rss_mib(daemon.pid, "VmRSS"))
        for r in records(log_path):
            if r.get("message", "").startswith("reload applied in "):
                applied.append(float(r["message"].split()[3]))
        summaries = [r["message"] for r in records(log_path) if r.get("message", "").startswith("reload: ")]
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=60)
        log.close()

        all_records = records(log_path)
        slots, missed, doubled, restarts = slot_check(all_records, args.probes)
        print(f"config: {args.tasks} tasks ({args.probes} probes every second), {os.path.getsize(config) / 1e6:.2f} MB")
        print(f"tasksrun check on it:        median {check_ms:7.1f} ms (5 runs)")
        print(f"reload, one task changed:    median {statistics.median(applied):7.1f} ms "
              f"({args.reloads} reloads; min {min(applied):.1f}, max {max(applied):.1f}); "
              f"{statistics.median(applied) / check_ms:.2f}x check")
        print(f"  each reload said:          {summaries[-1]}")
        print(f"  probe slots across them:   {slots} fired, {missed} missed, {doubled} doubled, "
              f"{restarts} probe restarts")
        print(f"  RSS before, after each:    {rss_before:.1f} / " + ", ".join(f"{r:.1f}" for r in rss_after_each) + " MiB")
        print(f"ctl status (all tasks):      median {status_all_ms:7.1f} ms (10 runs), reply {len(reply) / 1e6:.2f} MB")
        print(f"ctl status (one task):       median {status_one_ms:7.1f} ms (10 runs)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The real daemon under load: lateness, CPU and memory (issue 3).

Scenarios, each a fresh `tasksrun run` with JSON logs:
  busy   BUSY interval tasks (seconds = 1) running `true`: BUSY iterations per second, first all
         due at the same instant, then spread over each second with jitter = "1s". Reports
         iteration lateness p50/p99 (the logs' lateness_ms), daemon CPU and peak RSS.
  idle   N tasks waiting on a daily time, for each N: CPU per idle minute, RSS now and at peak.
With --peer, each busy scenario also runs through discord.py's discord.ext.tasks (Debian's
python3-discord): the same number of loops with seconds=1, each running `true` as a subprocess,
started together or at random offsets within a second; lateness there is the body's start time
minus its ideal grid time.

Usage: daemon_bench.py BUILD_DIR [--busy 100] [--busy-seconds 20] [--idle 100,1000,10000]
                       [--idle-seconds 20] [--peer]
"""
import argparse
import json
from datetime import datetime
import os
import signal
import subprocess
import sys
import tempfile
import time


def cpu_seconds(pid):
    """CPU time of this process alone (not its children), in ns resolution from schedstat."""
    with open(f"/proc/{pid}/schedstat", encoding="utf-8") as f:
        return int(f.read().split()[0]) / 1e9


def rss_mib(pid, field):
    """VmRSS (now) or VmHWM (peak) of the process, in MiB."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def private_mib(pid):
    """Private_Clean + Private_Dirty: the memory this process alone holds, in MiB (RSS also
    counts the pages of shared libraries that every process on the host shares)."""
    total_kib = 0
    with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total_kib += int(line.split()[1])
    return total_kib / 1024


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def lateness_logged(log_path, measure_from, measure_to):
    """lateness_ms of the iteration_start lines a JSON log holds between two wall-clock times."""
    lateness = []
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            if record.get("event") != "iteration_start":
                continue
            stamp = datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()
            if measure_from <= stamp <= measure_to:
                lateness.append(record["lateness_ms"])
    return lateness


def write_config(path, busy, idle, jitter=None):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(busy):
            spread = f'jitter = "{jitter}"\n' if jitter else ""
            f.write(f'[[task]]\nname = "busy-{i}"\nseconds = 1\n{spread}command = ["true"]\n\n')
        for i in range(idle):
            f.write(f'[[task]]\nname = "idle-{i}"\ntime = "{i % 24:02d}:{i % 60:02d}"\n'
                    f'timezone = "Europe/Berlin"\ncommand = ["true"]\n\n')


def start_daemon(binary, config, log_path):
    log = open(log_path, "w", encoding="utf-8")
    process = subprocess.Popen([binary, "--log-format", "json", "run", "-c", config],
                               stdout=subprocess.DEVNULL, stderr=log)
    return process, log


def stop_daemon(process, log):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    log.close()


def wait_for_start(log_path, count, timeout=60):
    """Waits until `count` tasks have logged their start."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, encoding="utf-8") as f:
            started = sum(1 for line in f if '"event":"start"' in line)
        if started >= count:
            return
        time.sleep(0.1)
    sys.exit(f"daemon did not start {count} tasks within {timeout}s")


def busy_scenario(binary, tmp, tasks, seconds, jitter):
    config = os.path.join(tmp, "busy.toml")
    log_path = os.path.join(tmp, "busy.log")
    write_config(config, tasks, 0, jitter)
    process, log = start_daemon(binary, config, log_path)
    wait_for_start(log_path, tasks)
    time.sleep(2)  # past the start-up iterations
    cpu_start = cpu_seconds(process.pid)
    measure_from = time.time()
    time.sleep(seconds)
    cpu = cpu_seconds(process.pid) - cpu_start
    rss = rss_mib(process.pid, "VmHWM")
    measure_to = time.time()
    stop_daemon(process, log)
    lateness = lateness_logged(log_path, measure_from, measure_to)
    return {"iterations": len(lateness), "p50_ms": percentile(lateness, 50), "p99_ms": percentile(lateness, 99),
            "cpu_s": cpu, "rss_mib": rss}


PEER_SCRIPT = r"""
import asyncio, json, random, resource, sys, time
from discord.ext import tasks

N, SECONDS, SPREAD = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "spread"
lateness = []

def make():
    state = {}
    @tasks.loop(seconds=1)
    async def body():
        ideal = state["t0"] + body.current_loop
        lateness.append(max(0.0, time.time() - ideal) * 1000)
        proc = await asyncio.create_subprocess_exec("true")
        await proc.wait()
    @body.before_loop
    async def remember_start():
        state["t0"] = time.time()
    return body

async def start_later(loop, delay):
    await asyncio.sleep(delay)
    loop.start()

async def run():
    loops = [make() for _ in range(N)]
    await asyncio.gather(*(start_later(loop, random.uniform(0, 1) if SPREAD else 0) for loop in loops))
    await asyncio.sleep(2)
    lateness.clear()
    start = time.process_time()
    await asyncio.sleep(SECONDS)
    cpu = time.process_time() - start
    for loop in loops:
        loop.cancel()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"lateness": lateness, "cpu_s": cpu, "rss_mib": rss}))

asyncio.run(run())
"""


def peer_scenario(tasks, seconds, spread):
    result = subprocess.run(["/usr/bin/python3", "-c", PEER_SCRIPT, str(tasks), str(seconds),
                             "spread" if spread else "lockstep"], capture_output=True, text=True, check=True)
    data = json.loads(result.stdout)
    lateness = data["lateness"]
    return {"iterations": len(lateness), "p50_ms": percentile(lateness, 50), "p99_ms": percentile(lateness, 99),
            "cpu_s": data["cpu_s"], "rss_mib": data["rss_mib"]}


def idle_scenario(binary, tmp, tasks, seconds):
    config = os.path.join(tmp, f"idle-{tasks}.toml")
    log_path = os.path.join(tmp, f"idle-{tasks}.log")
    write_config(config, 0, tasks)
    process, log = start_daemon(binary, config, log_path)
    wait_for_start(log_path, tasks)
    time.sleep(1)
    cpu_start = cpu_seconds(process.pid)
    time.sleep(seconds)
    cpu_per_minute_ms = (cpu_seconds(process.pid) - cpu_start) * 1000 * 60 / seconds
    rss, peak = rss_mib(process.pid, "VmRSS"), rss_mib(process.pid, "VmHWM")
    stop_daemon(process, log)
    return {"cpu_ms_per_idle_minute": cpu_per_minute_ms, "rss_mib": rss, "peak_mib": peak}


def print_busy(name, r):
    print(f"  {name:12s}  iterations {r['iterations']:6d}  lateness p50 {r['p50_ms']:7.3f} ms  "
          f"p99 {r['p99_ms']:7.3f} ms  cpu {r['cpu_s']:6.3f} s  peak rss {r['rss_mib']:6.1f} MiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--busy", type=int, default=100)
    parser.add_argument("--busy-seconds", type=float, default=20)
    parser.add_argument("--idle", default="100,1000,10000")
    parser.add_argument("--idle-seconds", type=float, default=20)
    parser.add_argument("--peer", action="store_true")
    args = parser.parse_args()
    binary = os.path.join(args.build_dir, "tasksrun")
    with tempfile.TemporaryDirectory() as tmp:
        for spread in (False, True):
            how = 'spread over each second (jitter = "1s")' if spread else "all due at the same instant"
            print(f"busy: {args.busy} interval tasks (seconds = 1) running `true`, {how}; "
                  f"{args.busy_seconds:.0f} s measured")
            busy = busy_scenario(binary, tmp, args.busy, args.busy_seconds, "1s" if spread else None)
            print_busy("tasksrun", busy)
            if args.peer:
                peer = peer_scenario(args.busy, args.busy_seconds, spread)
                print_busy("discord.py", peer)
                print(f"  peer/tasksrun: lateness p99 {peer['p99_ms'] / busy['p99_ms']:.1f}x  "
                      f"cpu {peer['cpu_s'] / busy['cpu_s']:.1f}x  rss {peer['rss_mib'] / busy['rss_mib']:.1f}x")
        print(f"idle: tasks waiting on a daily time; CPU measured over {args.idle_seconds:.0f} s")
        for count in (int(n) for n in args.idle.split(",")):
            idle = idle_scenario(binary, tmp, count, args.idle_seconds)
            print(f"  {count:6d} tasks  cpu {idle['cpu_ms_per_idle_minute']:7.3f} ms per idle minute  "
                  f"rss {idle['rss_mib']:6.1f} MiB (peak {idle['peak_mib']:6.1f} MiB, while loading the config)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Idle memory of 10,000 tasks waiting on a daily time, for one or more builds in turn.

RSS counts the pages of shared libraries, which move with whatever else runs on the machine;
private memory (Private_Clean + Private_Dirty of /proc/PID/smaps_rollup) is the process's own.
Give a build twice, interleaved with another, to see how much a figure moves between runs.

Usage: idle_memory.py BUILD_DIR [BUILD_DIR ...] [--tasks 10000]
"""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import daemon_bench  # noqa: E402


def measure(build_dir, tasks):
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "idle.toml")
        log = os.path.join(tmp, "idle.log")
        daemon_bench.write_config(config, 0, tasks)
        process, log_file = daemon_bench.start_daemon(os.path.join(build_dir, "tasksrun"), config, log)
        try:
            daemon_bench.wait_for_start(log, tasks)
            time.sleep(2)  # past the start's transient allocations
            return daemon_bench.rss_mib(process.pid, "VmRSS"), daemon_bench.private_mib(process.pid)
        finally:
            daemon_bench.stop_daemon(process, log_file)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build_dirs", nargs="+")
    parser.add_argument("--tasks", type=int, default=10000)
    args = parser.parse_args()
    print(f"idle: {args.tasks} tasks waiting on a daily time")
    for build_dir in args.build_dirs:
        rss, private = measure(build_dir, args.tasks)
        print(f"  {build_dir:24} rss {rss:6.1f} MiB  private {private:6.1f} MiB")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times `tasksrun check` and `tasksrun next -n 1` on a generated 10,000-task config.

The peer, run in the same command on the same file, is Python's tomllib only parsing it (no
validation, no schedules): a yardstick for the machine's speed at the moment of the run.
Prints the median and the fastest of 11 runs of each, and the ratios of the medians.

Usage: cli_bench.py BUILD_DIR [TASKS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = 11


def time_command(args):
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append((time.perf_counter() - start) * 1000)
        if result.returncode != 0:
            sys.exit(f"{' '.join(args)} failed: {result.stderr.decode()}")
    return statistics.median(samples), min(samples)


def main():
    build_dir = sys.argv[1] if len(sys.argv) > 1 else "build"
    tasks = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    binary = os.path.join(build_dir, "tasksrun")
    with tempfile.TemporaryDirectory() as tmp:
        config = os.path.join(tmp, "tasks.toml")
        subprocess.run([sys.executable, os.path.join(HERE, "generate_config.py"), str(tasks), config], check=True)
        size_kib = os.path.getsize(config) / 1024
        print(f"config: {tasks} tasks, {size_kib:.0f} KiB; {RUNS} runs each, wall time in ms")
        cases = {
            "tasksrun check": [binary, "check", "-c", config],
            "tasksrun next -n 1": [binary, "next", "-c", config, "-n", "1"],
            "peer: python3 tomllib parse only": [sys.executable, "-c",
                                                 f"import tomllib; tomllib.load(open({config!r}, 'rb'))"],
        }
        results = {name: time_command(args) for name, args in cases.items()}
    peer = results["peer: python3 tomllib parse only"][0]
    for name, (median, fastest) in results.items():
        print(f"{name:36s} median {median:8.1f}  fastest {fastest:8.1f}  median/peer {median / peer:5.2f}")


if __name__ == "__main__":
    main()

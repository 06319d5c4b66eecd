#!/bin/sh
# Runs every benchmark against the build in $1 (default: build). Results go in docs/BENCHMARKS.md.
set -eu
build_dir="${1:-build}"
here="$(cd "$(dirname "$0")/.." && pwd)"
echo "== next_after throughput ($build_dir/bench/schedule_bench)"
"$build_dir/bench/schedule_bench"
echo
echo "== check and next on a generated config (bench/cli_bench.py)"
python3 "$here/bench/cli_bench.py" "$build_dir" 10000
echo
echo "== the daemon: lateness, CPU and memory (bench/daemon_bench.py --peer)"
if python3 -c "import discord" 2>/dev/null || /usr/bin/python3 -c "import discord" 2>/dev/null; then
    python3 "$here/bench/daemon_bench.py" "$build_dir" --peer
else
    echo "(python3-discord is not installed: running without the discord.py peer)"
    python3 "$here/bench/daemon_bench.py" "$build_dir"
fi
echo
echo "== webhooks: 1,000 tasks posting to nginx (bench/webhook_bench.py)"
python3 "$here/bench/webhook_bench.py" "$build_dir" --tasks 1000 --seconds 20
echo
echo "== a 1 MiB output posted as an attachment (bench/attachment_bench.py)"
python3 "$here/bench/attachment_bench.py" "$build_dir" --runs 10
echo
echo "== the service: reload and ctl status on 10,000 tasks (bench/service_bench.py)"
python3 "$here/bench/service_bench.py" "$build_dir" --tasks 10000 --reloads 5
echo
echo "== hostile input: tick lateness and memory under each attack (bench/hostile_bench.py)"
python3 "$here/bench/hostile_bench.py" "$build_dir" --seconds 10
echo
echo "== the HTTP listener: /metrics of 10,000 tasks, the page of 1,000, idle cost (bench/observe_bench.py)"
python3 "$here/bench/observe_bench.py" "$build_dir" --tasks 10000 --page-tasks 1000 --scrapes 11
echo
echo "== idle memory of 10,000 tasks, RSS and private (bench/idle_memory.py)"
python3 "$here/bench/idle_memory.py" "$build_dir"

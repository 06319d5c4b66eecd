#!/usr/bin/env python3
"""The HTTP listener ([tasksrun] http): what /metrics and the status page cost, and what the
listener adds to an idle daemon.

Scenarios, each a fresh `tasksrun run` with JSON logs:
  scrape  N tasks (default 10,000), each having run once (`true`, at start), so that every task
          has its counters and both histograms: /metrics fetched K times with curl, new
          connection each time; median and fastest time to the last byte, and the size. The
          peer is nginx sending the same bytes as a static file: the cost of moving them alone.
  page    P tasks (default 1,000) with a day of runs in the state database, one every 5 minutes
          each (288 per task; 1 in 20 failed, 1 in 10 after a retry, 1 in 50 late): / fetched
          K times, and the same peer.
  idle    N tasks waiting on a daily time (daemon_bench's idle config), without and with
          `http`, in this same run: RSS, private memory (Private_Clean + Private_Dirty of
          /proc/PID/smaps_rollup) and CPU per idle minute; with `http`, private memory again
          after K scrapes.

Usage: observe_bench.py BUILD_DIR [--tasks 10000] [--page-tasks 1000] [--scrapes 11]
                       [--idle-seconds 20]
"""
import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_bench import cpu_seconds, private_mib, rss_mib, start_daemon, stop_daemon, wait_for_start  # noqa: E402
from daemon_bench import write_config as write_idle_config  # noqa: E402
from webhook_bench import free_port  # noqa: E402

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    server {{
        listen 127.0.0.1:{port};
        location / {{ root {dir}/www; default_type text/plain; }}
    }}
}}
"""


def fetch_times(url, count):
    """Seconds to the last byte of `count` GETs by curl (a new connection each), and the size."""
    times, size = [], 0
    for _ in range(count):
        result = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{time_total} %{size_download}",
                                 url], capture_output=True, text=True, check=True)
        code, seconds, size = result.stdout.split()
        if code != "200":
            sys.exit(f"{url}: HTTP {code}")
        times.append(float(seconds))
    return times, int(size)


def listener_address(log_path, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path, encoding="utf-8") as f:
            for line in f:
                if '"http: /metrics' in line:
                    return line.rsplit(" on ", 1)[1].split('"')[0]
        time.sleep(0.1)
    sys.exit("the daemon did not open its listener")


def wait_for_count(log_path, needle, count, timeout=600):
    """Waits until `count` lines of the log hold `needle`, reading each line once."""
    deadline, seen = time.monotonic() + timeout, 0
    with open(log_path, encoding="utf-8") as f:
        while time.monotonic() < deadline:
            seen += sum(1 for line in f.readlines() if needle in line)
            if seen >= count:
                return
            time.sleep(0.2)
    sys.exit(f"fewer than {count} lines with {needle} within {timeout}s")


class Nginx:
    """nginx serving files from a directory of its own: the peer that only moves bytes."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "nginx")
        os.makedirs(os.path.join(self.dir, "www"))
        # nginx's worker runs as another user when started by root: it must be able to read.
        for path in (tmp, self.dir, os.path.join(self.dir, "www")):
            os.chmod(path, 0o755)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(NGINX_CONF.format(dir=self.dir, port=self.port))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([nginx, "-c", conf, "-p", self.dir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        if self.process.poll() is not None:
            sys.exit("nginx did not start")

    def serve(self, name, url):
        """Copies what `url` answers into a file nginx serves, and returns that file's URL."""
        path = os.path.join(self.dir, "www", name)
        subprocess.run(["curl", "-sS", "-o", path, url], check=True)
        os.chmod(path, 0o644)
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def timed_against_nginx(what, url, scrapes, nginx, file_name):
    """Times `scrapes` GETs of `url`, then of the same bytes from nginx, and prints both."""
    times, size = fetch_times(url, scrapes)
    peer_times, _ = fetch_times(nginx.serve(file_name, url), scrapes)
    median, peer = statistics.median(times), statistics.median(peer_times)
    print(f"  {what:28s} median {median * 1000:8.1f} ms  fastest {min(times) * 1000:8.1f} ms  "
          f"{size / 1024:8.0f} KiB   nginx, same bytes: median {peer * 1000:6.1f} ms  ratio {median / peer:6.1f}")


def write_config(path, settings, tasks, schedule):
    """`tasks` tasks named task-00000 ... running `true` on `schedule`, with `http` on any port."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'[tasksrun]\nhttp = "127.0.0.1:0"\n{settings}\n')
        for i in range(tasks):
            f.write(f'[[task]]\nname = "task-{i:05d}"\n{schedule}\ncommand = ["true"]\n\n')


def scrape_scenario(binary, tmp, tasks, scrapes, nginx):
    config = os.path.join(tmp, "scrape.toml")
    write_config(config, "", tasks, "seconds = 86400")
    log_path = os.path.join(tmp, "scrape.log")
    process, log = start_daemon(binary, config, log_path)
    address = listener_address(log_path)
    wait_for_count(log_path, '"event":"iteration_end"', tasks)
    print(f"scrape: /metrics of {tasks} tasks that have each run once; {scrapes} scrapes each")
    timed_against_nginx("tasksrun /metrics", f"http://{address}/metrics", scrapes, nginx, "metrics.txt")
    stop_daemon(process, log)


def fill_history(database, tasks, now):
    """A day of runs for each task, every 5 minutes, as the daemon records them."""
    rows = []
    for t in range(tasks):
        for k in range(288):
            started = int((now - 86400 + k * 300 + t % 300) * 1e6)
            late = k % 50 == t % 50
            lateness = 4_000_000 if late else 800
            failed, retried = k % 20 == t % 20, k % 10 == t % 10
            rows.append((f"task-{t:05d}", k, started - lateness, started, lateness, 1_500_000 if retried else 200_000,
                         2 if retried else 1, "failed" if failed else "ok", "exit:1" if failed else "", ""))
    with sqlite3.connect(database) as db:
        db.executemany("INSERT INTO runs(task, loop, scheduled_us, started_us, lateness_us, duration_us, attempts, "
                       "outcome, class, message) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
    return len(rows)


def page_scenario(binary, tmp, tasks, scrapes, nginx):
    state = os.path.join(tmp, "page-state")
    config = os.path.join(tmp, "page.toml")
    write_config(config, f'state_dir = "{state}"', tasks, "minutes = 5\nrun_at_start = false")
    log_path = os.path.join(tmp, "page-1.log")
    process, log = start_daemon(binary, config, log_path)  # creates the database
    listener_address(log_path)
    stop_daemon(process, log)
    runs = fill_history(os.path.join(state, "state.db"), tasks, time.time())
    log_path = os.path.join(tmp, "page-2.log")
    process, log = start_daemon(binary, config, log_path)
    print(f"page: / of {tasks} tasks with {runs} runs in the last 24 hours; {scrapes} loads each")
    timed_against_nginx("tasksrun /", f"http://{listener_address(log_path)}/", scrapes, nginx, "page.html")
    stop_daemon(process, log)


def idle_daemon(binary, tmp, tasks, seconds, http, scrapes):
    config = os.path.join(tmp, f"idle-{'http' if http else 'plain'}.toml")
    write_idle_config(config, 0, tasks)
    if http:
        with open(config, encoding="utf-8") as f:
            body = f.read()
        with open(config, "w", encoding="utf-8") as f:
            f.write('[tasksrun]\nhttp = "127.0.0.1:0"\n\n' + body)
    log_path = os.path.join(tmp, f"idle-{'http' if http else 'plain'}.log")
    process, log = start_daemon(binary, config, log_path)
    wait_for_start(log_path, tasks)
    time.sleep(1)
    cpu_start = cpu_seconds(process.pid)
    time.sleep(seconds)
    result = {"cpu_ms_per_idle_minute": (cpu_seconds(process.pid) - cpu_start) * 1000 * 60 / seconds,
              "rss_mib": rss_mib(process.pid, "VmRSS"), "private_mib": private_mib(process.pid)}
    if http:
        fetch_times(f"http://{listener_address(log_path)}/metrics", scrapes)
        time.sleep(1)
        result["private_after_scrapes_mib"] = private_mib(process.pid)
        result["rss_after_scrapes_mib"] = rss_mib(process.pid, "VmRSS")
    stop_daemon(process, log)
    return result


def idle_scenario(binary, tmp, tasks, seconds, scrapes):
    print(f"idle: {tasks} tasks waiting on a daily time, without and with http; CPU over {seconds:.0f} s")
    plain = idle_daemon(binary, tmp, tasks, seconds, False, scrapes)
    http = idle_daemon(binary, tmp, tasks, seconds, True, scrapes)
    for name, r in (("without http", plain), ("with http", http)):
        print(f"  {name:14s} rss {r['rss_mib']:6.1f} MiB  private {r['private_mib']:6.1f} MiB  "
              f"cpu {r['cpu_ms_per_idle_minute']:6.3f} ms per idle minute")
    print(f"  with http, after {scrapes} scrapes of /metrics: rss {http['rss_after_scrapes_mib']:6.1f} MiB  "
          f"private {http['private_after_scrapes_mib']:6.1f} MiB")
    print(f"  the listener adds: rss {http['rss_mib'] - plain['rss_mib']:+.1f} MiB, private "
          f"{http['private_mib'] - plain['private_mib']:+.1f} MiB idle "
          f"({http['private_after_scrapes_mib'] - plain['private_mib']:+.1f} MiB after scrapes), cpu "
          f"{http['cpu_ms_per_idle_minute'] - plain['cpu_ms_per_idle_minute']:+.3f} ms per idle minute")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--tasks", type=int, default=10000)
    parser.add_argument("--page-tasks", type=int, default=1000)
    parser.add_argument("--scrapes", type=int, default=11)
    parser.add_argument("--idle-seconds", type=float, default=20)
    args = parser.parse_args()
    binary = os.path.join(args.build_dir, "tasksrun")
    with tempfile.TemporaryDirectory() as tmp:
        nginx = Nginx(tmp)
        try:
            scrape_scenario(binary, tmp, args.tasks, args.scrapes, nginx)
            page_scenario(binary, tmp, args.page_tasks, args.scrapes, nginx)
            idle_scenario(binary, tmp, args.tasks, args.idle_seconds, args.scrapes)
        finally:
            nginx.stop()


if __name__ == "__main__":
    main()

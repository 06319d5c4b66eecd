#!/usr/bin/env python3
"""Webhook tasks under load (issue 4): N tasks posting every second to a local nginx answering 204.

Each task has its own Discord-style webhook URL (/api/webhooks/<i>/<token>), so each has its own
rate-limit bucket as with real Discord webhooks; nginx sends no rate-limit headers. Requests
delivered and connections opened are counted the same way for both runs, from nginx's access log
($connection). The peer is discord.py (Debian's python3-discord): N tasks.loop(seconds=1) each
awaiting discord.Webhook.send on one aiohttp session, with discord.py's API base pointed at nginx.
Lateness is measured where each loop starts its iteration, before sending. Both programs run
twice: all tasks due at the same instant, then spread over each second (tasksrun's jitter;
discord.py loops started at random offsets).

Usage: webhook_bench.py BUILD_DIR [--tasks 1000] [--seconds 20]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from daemon_bench import cpu_seconds, lateness_logged, percentile, rss_mib  # noqa: E402

NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 8192; }}
http {{
    log_format tiny '$connection $request_uri';
    access_log {dir}/access.log tiny buffer=256k flush=1s;
    client_body_temp_path {dir}/body;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {{
        listen 127.0.0.1:{port} reuseport backlog=4096;
        location / {{ return 204; }}
    }}
}}
"""

# Shaped like real ones (discord.py accepts nothing else): a snowflake id and a 68-character token.
TOKEN = "bench-token-" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"[:56]
FIRST_ID = 10**17


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def access_log_counts(path, after_line):
    with open(path, encoding="utf-8") as f:
        lines = f.readlines()[after_line:]
    return len(lines), len({line.split()[0] for line in lines})


def line_count(path):
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


def write_config(path, tasks, port, spread):
    with open(path, "w", encoding="utf-8") as f:
        f.write('[tasksrun]\nshutdown_timeout = "2s"\n\n')
        for i in range(tasks):
            f.write(f'[webhooks.h{i}]\nurl = "http://127.0.0.1:{port}/api/webhooks/{FIRST_ID + i}/{TOKEN}"\nkind = "discord"\n\n')
        for i in range(tasks):
            jitter = 'jitter = "1s"\n' if spread else ""
            f.write(f'[[task]]\nname = "post-{i}"\nseconds = 1\n{jitter}webhook = "h{i}"\n'
                    f'content = "report {{{{loop}}}} from {{{{task}}}}"\n\n')


def run_tasksrun(binary, tmp, tasks, seconds, port, access_log, spread):
    config = os.path.join(tmp, "webhooks.toml")
    write_config(config, tasks, port, spread)
    os.chmod(config, 0o600)
    log_path = os.path.join(tmp, "tasksrun.log")
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen([binary, "--log-format", "json", "run", "-c", config],
                                   stdout=subprocess.DEVNULL, stderr=log)
        time.sleep(3)  # start-up and the first iterations
        time.sleep(1.2)  # let the access log buffer flush
        start_line = line_count(access_log)
        cpu_start = cpu_seconds(process.pid)
        measure_from = time.time()
        time.sleep(seconds)
        measure_to = time.time()
        cpu = cpu_seconds(process.pid) - cpu_start
        rss = rss_mib(process.pid, "VmHWM")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    time.sleep(1.5)
    lateness = lateness_logged(log_path, measure_from, measure_to)
    delivered, connections = access_log_counts(access_log, start_line)
    return {"iterations": len(lateness), "p50": percentile(lateness, 50), "p99": percentile(lateness, 99),
            "delivered": delivered, "connections": connections, "cpu": cpu, "rss": rss}


PEER = r"""
import asyncio, json, random, sys, time, aiohttp, resource
import discord
import discord.webhook.async_ as webhook_module
from discord.ext import tasks

N, SECONDS, PORT, TOKEN, SPREAD = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "spread"
webhook_module.Route.BASE = f"http://127.0.0.1:{PORT}/api/v10"
lateness = []
measuring = False

def make(i, session):
    hook = discord.Webhook.from_url(f"https://discord.com/api/webhooks/{10**17 + i}/{TOKEN}", session=session)
    state = {}
    @tasks.loop(seconds=1)
    async def post():
        if measuring:
            lateness.append(max(0.0, time.time() - (state["t0"] + post.current_loop)) * 1000)
        await hook.send(f"report {post.current_loop} from post-{i}")
    @post.before_loop
    async def remember():
        state["t0"] = time.time()
    return post

async def main():
    global measuring
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        loops = [make(i, session) for i in range(N)]
        async def start_later(loop):
            await asyncio.sleep(random.uniform(0, 1) if SPREAD else 0)
            loop.start()
        await asyncio.gather(*(start_later(loop) for loop in loops))
        await asyncio.sleep(4.2)
        print("measuring", flush=True)
        measuring = True
        start = time.process_time()
        await asyncio.sleep(SECONDS)
        measuring = False
        cpu = time.process_time() - start
        for loop in loops:
            loop.cancel()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"lateness": lateness, "cpu": cpu, "rss": rss}), flush=True)

asyncio.run(main())
"""


def run_peer(tasks, seconds, port, access_log, spread):
    process = subprocess.Popen(["/usr/bin/python3", "-c", PEER, str(tasks), str(seconds), str(port), TOKEN,
                                "spread" if spread else "lockstep"],
                               stdout=subprocess.PIPE, text=True)
    process.stdout.readline()  # "measuring"
    start_line = line_count(access_log)
    result = json.loads(process.stdout.readline())
    process.wait(timeout=60)
    time.sleep(1.5)
    delivered, connections = access_log_counts(access_log, start_line)
    lateness = result["lateness"]
    return {"iterations": len(lateness), "p50": percentile(lateness, 50), "p99": percentile(lateness, 99),
            "delivered": delivered, "connections": connections, "cpu": result["cpu"], "rss": result["rss"]}


def show(name, r):
    print(f"  {name:10s}  iterations {r['iterations']:6d}  delivered {r['delivered']:6d}  connections "
          f"{r['connections']:5d}  lateness p50 {r['p50']:7.3f} ms  p99 {r['p99']:7.3f} ms  "
          f"cpu {r['cpu']:6.2f} s  peak rss {r['rss']:6.1f} MiB")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        with open(os.path.join(tmp, "nginx.conf"), "w", encoding="utf-8") as f:
            f.write(NGINX_CONF.format(dir=tmp, port=port))
        server = subprocess.Popen([nginx, "-c", os.path.join(tmp, "nginx.conf"), "-p", tmp],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        if server.poll() is not None:
            sys.exit(f"nginx did not start: {open(os.path.join(tmp, 'error.log')).read()}")
        access_log = os.path.join(tmp, "access.log")
        open(access_log, "a").close()
        try:
            for spread in (False, True):
                how = 'spread over each second (jitter = "1s")' if spread else "all due at the same instant"
                print(f"{args.tasks} Discord-style webhook tasks, each posting every second to nginx (204), "
                      f"{how}; {args.seconds:.0f} s measured")
                ours = run_tasksrun(os.path.join(args.build_dir, "tasksrun"), tmp, args.tasks, args.seconds, port,
                                    access_log, spread)
                show("tasksrun", ours)
                peer = run_peer(args.tasks, args.seconds, port, access_log, spread)
                show("discord.py", peer)
                print(f"  peer/tasksrun: cpu {peer['cpu'] / ours['cpu']:.1f}x  rss {peer['rss'] / ours['rss']:.1f}x  "
                      f"lateness p99 {peer['p99'] / ours['p99']:.1f}x")
        finally:
            server.send_signal(signal.SIGQUIT)
            server.wait(timeout=10)


if __name__ == "__main__":
    main()

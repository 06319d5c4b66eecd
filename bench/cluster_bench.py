#!/usr/bin/env python3
"""Cluster mode under load and under kill -9 (SPEC 14), against a single daemon in the same run.

TASKS interval tasks (seconds = 1), each running
    sh -c 'echo "$TASKSRUN_TASK $TASKSRUN_SCHEDULED_AT $TASKSRUN_REPLICA" >> OUT'
so that every run that really happened leaves a line.

1. The peer: one `tasksrun run` without cluster mode, for PEER_SECONDS.
2. The cluster: a PostgreSQL 15 that this script starts (tests/e2e/pg_server.py, with
   pg_stat_statements loaded), three replicas a, b, c of the same config, each connecting as its
   own role (so that the server counts each replica's statements), for SECONDS; every KILL_EVERY
   seconds one replica (a, b, c in turn) gets SIGKILL 30 ms into a second (while it starts that
   second's slots) and is started again a second later.

Reported:
  doubles     (task, slot) pairs with more than one line: goal 0.
  lost        grid slots of the measured window (from 3 s after the replicas started to 2 s
              before the end) without a line, split into the killed replica's in-flight ones (the
              claim is the killed replica's, of a slot up to 3 s before it was killed; with the
              claims' states: `abandoned` once another replica took it over, on_crash = "skip")
              and the others (goal 0).
  lateness    p50 / p99 of the `lateness_ms` of iteration_start in the daemons' JSON logs (the
              slot to the iteration's start, after the claim's round trip in cluster mode), for
              the replicas together and for the peer, and their ratio.
  statements  per second per replica: pg_stat_statements' calls of the replica's role over the
              window (each is one round trip: libpq sends a statement and waits for its answer;
              none is pipelined), reset when the window starts.

Usage: cluster_bench.py BUILD_DIR [--tasks 1000] [--seconds 60] [--peer-seconds 30]
                        [--kill-every 20]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from pg_server import PgServer  # noqa: E402

REPLICAS = ("a", "b", "c")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def stamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def write_config(path, tasks, out, cluster_replica=None):
    with open(path, "w", encoding="utf-8") as f:
        if cluster_replica:
            f.write(f'[tasksrun]\ncluster_url_env = "TASKSRUN_DATABASE_URL"\n'
                    f'replica = "{cluster_replica}"\n\n')
        line = f'echo "$TASKSRUN_TASK $TASKSRUN_SCHEDULED_AT $TASKSRUN_REPLICA" >> {out}'
        for i in range(tasks):
            f.write(f'[[task]]\nname = "t{i}"\nseconds = 1\ncommand = ["sh", "-c", {json.dumps(line)}]\n\n')


class Daemon:
    def __init__(self, binary, config, log_path, env=None):
        self.log_path = log_path
        self.log = open(log_path, "a", encoding="utf-8")
        self.process = subprocess.Popen([binary, "--log-format", "json", "run", "-c", config],
                                        stdout=subprocess.DEVNULL, stderr=self.log,
                                        env={**os.environ, **(env or {})})

    def wait_for(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with open(self.log_path, encoding="utf-8") as f:
                if text in f.read():
                    return
            time.sleep(0.1)
        raise RuntimeError(f"{self.log_path}: no {text!r} in {timeout} s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def lateness(log_paths, start, end):
    values = []
    for path in log_paths:
        with open(path, encoding="utf-8") as f:
            for text in f:
                if '"iteration_start"' not in text or not text.endswith("\n"):
                    continue
                record = json.loads(text)
                if start <= stamp(record["scheduled"]) <= end and record.get("attempt") == 1:
                    values.append(record["lateness_ms"])
    return values


def runs(out):
    """(task, slot) -> replicas, from the lines the commands wrote."""
    found = {}
    with open(out, encoding="utf-8") as f:
        for text in f:
            parts = text.split()
            if len(parts) < 2:
                continue
            found.setdefault((parts[0], int(stamp(parts[1]))), []).append(parts[2] if len(parts) > 2 else "")
    return found


def run_peer(args, directory):
    out = os.path.join(directory, "peer.out")
    config = os.path.join(directory, "peer.toml")
    write_config(config, args.tasks, out)
    daemon = Daemon(args.binary, config, os.path.join(directory, "peer.log"))
    daemon.wait_for("tasksrun 0.1.0 starting")
    start = time.time() + 3
    time.sleep(args.peer_seconds)
    end = time.time() - 2
    daemon.stop()
    late = lateness([daemon.log_path], start, end)
    fired = runs(out)
    slots = [(f"t{i}", s) for i in range(args.tasks) for s in range(int(start) + 1, int(end))]
    missing = sum(1 for key in slots if key not in fired)
    return late, missing, len(slots)


def run_cluster(args, directory):
    server = PgServer()
    try:
        with open(os.path.join(server.data, "postgresql.conf"), "a", encoding="utf-8") as conf:
            conf.write("shared_preload_libraries = 'pg_stat_statements'\n"
                       "pg_stat_statements.track = all\n")
        server.stop("fast")
        server.start()
        url = server.create_database("bench")
        server.sql(url, "CREATE EXTENSION pg_stat_statements")
        for name in REPLICAS:
            server.sql(url, f"CREATE ROLE replica_{name} SUPERUSER LOGIN")
        out = os.path.join(directory, "cluster.out")
        daemons = {}
        logs = []

        def start(name):
            config = os.path.join(directory, f"{name}.toml")
            log = os.path.join(directory, f"{name}-{len(logs)}.log")
            logs.append(log)
            conninfo = f"host={server.directory} dbname=bench user=replica_{name}"
            daemons[name] = Daemon(args.binary, config, log, env={"TASKSRUN_DATABASE_URL": conninfo})
            return daemons[name]

        for name in REPLICAS:
            write_config(os.path.join(directory, f"{name}.toml"), args.tasks, out, cluster_replica=name)
            start(name).wait_for("cluster: connected")
        time.sleep(3)
        server.sql(url, "SELECT pg_stat_statements_reset()")
        start_at = time.time()
        kills = []
        # Each kill lands 30 ms into a second, while the replica starts that second's slots:
        # the worst moment, with the most in flight.
        next_kill = int(start_at + args.kill_every) + 0.03
        victim = 0
        while time.time() < start_at + args.seconds:
            if time.time() >= next_kill and next_kill < start_at + args.seconds - 1:
                name = REPLICAS[victim % len(REPLICAS)]
                victim += 1
                daemons[name].process.kill()
                daemons[name].process.wait()
                kills.append((name, time.time()))
                time.sleep(1)
                start(name)
                next_kill += args.kill_every
            time.sleep(0.05)
        window = time.time() - start_at
        calls = dict(server.sql(url, "SELECT r.rolname, sum(s.calls)::bigint FROM pg_stat_statements s "
                                     "JOIN pg_roles r ON r.oid = s.userid "
                                     "WHERE r.rolname LIKE 'replica_%' GROUP BY 1 ORDER BY 1"))
        end = time.time() - 2
        for daemon in daemons.values():
            daemon.stop()
        claims = {}
        for task, slot, replica, state in server.sql(
                url, "SELECT task, extract(epoch FROM slot)::bigint, replica, state FROM tasksrun_claims"):
            claims[(task, int(slot))] = (replica, state)
        return {"out": out, "logs": logs, "start": start_at, "end": end, "window": window,
                "kills": kills, "calls": calls, "claims": claims}
    finally:
        server.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--peer-seconds", type=float, default=30)
    parser.add_argument("--kill-every", type=float, default=20)
    args = parser.parse_args()
    args.binary = os.path.join(args.build_dir, "tasksrun")
    with tempfile.TemporaryDirectory(prefix="tasksrun-cluster-bench-") as directory:
        peer_late, peer_missing, peer_slots = run_peer(args, directory)
        result = run_cluster(args, directory)
        fired = runs(result["out"])
        doubles = sorted(key for key, who in fired.items() if len(who) > 1)
        first, last = int(result["start"]) + 3, int(result["end"])
        wanted = [(f"t{i}", s) for i in range(args.tasks) for s in range(first, last + 1)]
        missing = [key for key in wanted if key not in fired]
        # In flight on a killed replica: claimed by it in the seconds before it was killed.
        in_flight = [key for key in missing if key in result["claims"] and any(
            name == result["claims"][key][0] and at - 3 < key[1] <= at for name, at in result["kills"])]
        in_flight_states = Counter(result["claims"][key][1] for key in in_flight)
        beyond = Counter(result["claims"].get(key, ("", "no claim"))[1]
                         for key in missing if key not in in_flight)
        late = lateness(result["logs"], first, last)
        print(f"{args.tasks} tasks at 1 s; peer (one daemon, no cluster) {args.peer_seconds:.0f} s; "
              f"cluster of 3 replicas {result['window']:.0f} s, kill -9 every {args.kill_every:.0f} s: "
              + ", ".join(f"{name} at +{at - result['start']:.0f} s" for name, at in result["kills"]))
        print(f"slots in the measured window: {len(wanted)} (peer: {peer_slots}, missing there: "
              f"{peer_missing})")
        print(f"doubles: {len(doubles)}" + (f" e.g. {doubles[:5]}" if doubles else ""))
        print(f"lost: {len(missing)}: in flight on a killed replica {len(in_flight)} "
              f"{dict(in_flight_states)}, beyond those {sum(beyond.values())} "
              f"{dict(beyond) if beyond else ''}")
        c50, c99 = percentile(late, 50), percentile(late, 99)
        p50, p99 = percentile(peer_late, 50), percentile(peer_late, 99)
        print(f"lateness ms p50 / p99: cluster {c50:.1f} / {c99:.1f}, single daemon {p50:.1f} / "
              f"{p99:.1f}; ratio p50 {c50 / p50:.2f}, p99 {c99 / p99:.2f}")
        for role, count in result["calls"].items():
            print(f"statements (round trips) per second, {role}: {int(count) / result['window']:.1f}")


if __name__ == "__main__":
    main()

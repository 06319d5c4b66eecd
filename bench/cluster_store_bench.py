#!/usr/bin/env python3
"""Claim round trips against a local PostgreSQL 15 that this script starts (the test harness in
tests/e2e/pg_server.py: a unix socket, durability against power loss off), one database per
batch size, measured by BUILD_DIR/bench/cluster_store_bench.

Usage: cluster_store_bench.py BUILD_DIR [--seconds S] [--runs R]
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from pg_server import PgServer  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("build_dir")
    parser.add_argument("--seconds", default="1.5")
    parser.add_argument("--runs", default="7")
    args = parser.parse_args()
    with PgServer() as server:
        version = server.sql(server.conninfo(), "SELECT version()")[0][0]
        print(f"server: {version}; fsync off, unix socket")
        databases = [server.create_database(f"bench_{batch}") for batch in (1, 100, 1000)]
        subprocess.run([os.path.join(args.build_dir, "bench", "cluster_store_bench"), *databases,
                        "--seconds", args.seconds, "--runs", args.runs, "--show-sql"], check=True)


if __name__ == "__main__":
    main()

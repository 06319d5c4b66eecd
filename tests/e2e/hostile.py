"""Attacks on a running daemon and what they cost it, shared by tests/e2e/test_hostile.py and
bench/hostile_bench.py.

Each attack runs for a while against a daemon that has a tick task (every 0.2 s); while it runs,
MemorySampler reads the daemon's RSS and private memory, and tick_lateness() reads the tick's
lateness_ms from the JSON log afterwards.
"""
import errno
import json
import os
import socket
import threading
import time
from datetime import datetime

TICK_TASK = """
[[task]]
name = "tick"
seconds = 0.2
run = "true"
"""

STATUS_REQUEST = b'{"command":"status"}\n'


def rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def private_kib(pid):
    """Private_Clean + Private_Dirty: the memory this process alone holds."""
    total = 0
    with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


class MemorySampler:
    """Peak RSS and private memory of `pid`, sampled every 20 ms between start() and stop()."""

    def __init__(self, pid):
        self.pid = pid
        self.peak_rss_kib = 0
        self.peak_private_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak_rss_kib = max(self.peak_rss_kib, rss_kib(self.pid))
                self.peak_private_kib = max(self.peak_private_kib, private_kib(self.pid))
            except OSError:
                return
            self._stop.wait(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def tick_starts(log_path, since, until, task="tick"):
    """(wall-clock time, lateness_ms) of `task`'s iteration_start lines logged between two
    wall-clock times. Only lines naming the task are parsed: an attack may leave a very large
    log behind.

    A stalled loop shows less in lateness than in gaps: the slots it missed are skipped (the
    default misfire policy), and the next tick is on time again.
    """
    needle = f'"task":"{task}","event":"iteration_start"'
    starts = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if needle not in line or not line.endswith("\n"):
                continue
            record = json.loads(line)
            stamp = datetime.fromisoformat(record["time"].replace("Z", "+00:00")).timestamp()
            if since <= stamp <= until:
                starts.append((stamp, record["lateness_ms"]))
    return starts


def longest_gap_ms(starts, since, until):
    """The longest time without a tick start, the window's edges included."""
    stamps = [since] + [stamp for stamp, _ in starts] + [until]
    return max(later - earlier for earlier, later in zip(stamps, stamps[1:])) * 1000


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def pipeline_without_reading(socket_path, seconds):
    """Sends `status` requests as fast as the socket takes them and never reads a reply.

    Returns the bytes sent; stops early when the daemon closes the connection.
    """
    client = socket.socket(socket.AF_UNIX)
    client.connect(socket_path)
    client.setblocking(False)
    batch = STATUS_REQUEST * 512
    sent = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                sent += client.send(batch)
            except BlockingIOError:
                time.sleep(0.005)
            except (BrokenPipeError, ConnectionResetError):
                break
    finally:
        client.close()
    return sent


def silent_connections(socket_path, count):
    """Opens `count` connections that never send a byte; the caller closes them."""
    connections = []
    for _ in range(count):
        connection = socket.socket(socket.AF_UNIX)
        connection.connect(socket_path)
        connections.append(connection)
    return connections


def closed_by_peer(connection, timeout):
    """Reads until the daemon closes `connection` (True) or `timeout` passes (False)."""
    connection.settimeout(timeout)
    deadline = time.monotonic() + timeout
    received = b""
    try:
        while time.monotonic() < deadline:
            chunk = connection.recv(65536)
            if not chunk:
                return True, received
            received += chunk
    except socket.timeout:
        return False, received
    except OSError as error:
        return error.errno in (errno.ECONNRESET, errno.EPIPE), received
    return False, received


# A loopback server's answers that no server should give: (status, body, headers) by the first
# path segment after /webhooks/.
ABSURD_ANSWERS = {
    "negative-429": (429, {"message": "slow down", "retry_after": -1000, "global": False}, {}),
    "huge-negative-429": (429, {"message": "slow down", "retry_after": -1e300, "global": False}, {}),
    "nan-429": (429, {"message": "slow down", "retry_after": "NaN", "global": False}, {}),
    "infinite-429": (429, '{"message": "slow down", "retry_after": 1e400, "global": false}', {}),
    "zero-500": (500, {"message": "try again"}, {"Retry-After": "0"}),
    "far-429": (429, {"message": "slow down", "retry_after": 1e300, "global": False}, {}),
}


def absurd_server_class(base):
    """A subclass of the tests' Discord imitation (`base`) that also gives ABSURD_ANSWERS."""

    class AbsurdServer(base):
        def handle(self, handler):
            parts = handler.path.split("?")[0].split("/")
            behaviour = parts[parts.index("webhooks") + 1] if "webhooks" in parts else ""
            if behaviour not in ABSURD_ANSWERS:
                return super().handle(handler)
            # Answers as fast as a real server would: no Nagle delay between headers and body.
            handler.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            length = int(handler.headers.get("Content-Length") or 0)
            if length:
                handler.rfile.read(length)
            with self.lock:
                self.counts[behaviour] = self.counts.get(behaviour, 0) + 1
            status, payload, headers = ABSURD_ANSWERS[behaviour]
            body = payload if isinstance(payload, str) else json.dumps(payload)
            return self.reply(handler, status, body, {"Content-Type": "application/json", **headers})

        def count(self, behaviour):
            with self.lock:
                return self.counts.get(behaviour, 0)

    return AbsurdServer


ABSURD_URL_ENV = "TASKSRUN_ABSURD_URL"


def absurd_webhook(server, behaviour, task="post"):
    """A discord webhook at the absurd server (its URL in the environment returned) and a task
    posting to it every 10 minutes, the first post at once: its retries are the only requests.
    Returns (config text, environment)."""
    return f"""
[webhooks.absurd]
url_env = "{ABSURD_URL_ENV}"
kind = "discord"

[[task]]
name = "{task}"
minutes = 10
webhook = "absurd"
content = "hello"
max_retries = 1000
retry_on = ["http-429", "http-5xx"]
""", {ABSURD_URL_ENV: server.discord_url(behaviour)}

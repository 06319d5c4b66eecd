"""A real PostgreSQL server for end-to-end tests and benchmarks of cluster mode.

Debian's postgresql-15 server binaries (or $TASKSRUN_PG_BINDIR): initdb and pg_ctl in a
temporary directory, listening on a unix socket in that directory only (listen_addresses = ''),
durability against power loss off for speed (commits still reach the kernel, so an immediate
stop loses nothing committed). When run as root the server runs as the `postgres` user through
runuser (PostgreSQL refuses root) and the directory belongs to that user.

    with PgServer() as server:
        url = server.create_database()          # a libpq connection string
        server.sql(url, "SELECT 1")
        server.stop("immediate"); server.start()  # a crash, and the way back

The C++ tests have the same harness in tests/support/pg_server.cpp.
"""
import atexit
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

DEFAULT_BINDIR = "/usr/lib/postgresql/15/bin"

# Servers still running, stopped when the process ends: normally (atexit) or by SIGTERM (a test
# runner's timeout), so that no server outlives its tests.
_live = []


def _stop_all_and_die(signum, _frame):
    for server in list(_live):
        server.close()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _stop_all_on_sigterm():
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _stop_all_and_die)


class PgServer:
    def __init__(self, bindir=None):
        self.bindir = bindir or os.environ.get("TASKSRUN_PG_BINDIR", DEFAULT_BINDIR)
        if not os.path.exists(os.path.join(self.bindir, "initdb")):
            raise RuntimeError(f"no PostgreSQL server binaries in {self.bindir} "
                               "(install postgresql-15: scripts/install-deps.sh)")
        self.as_postgres = os.geteuid() == 0
        self.directory = tempfile.mkdtemp(prefix="tasksrun-pg-")
        self.data = os.path.join(self.directory, "data")
        self.log = os.path.join(self.directory, "server.log")
        self.running = False
        self._databases = 0
        if self.as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
        self._run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                   "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"])
        with open(os.path.join(self.data, "postgresql.conf"), "a", encoding="utf-8") as conf:
            conf.write(f"\nlisten_addresses = ''\nunix_socket_directories = '{self.directory}'\n"
                       "fsync = off\nfull_page_writes = off\nmax_connections = 200\n")
        atexit.register(self.close)
        _stop_all_on_sigterm()
        _live.append(self)
        self.start()

    def _run(self, argv):
        command = (["runuser", "-u", "postgres", "--"] if self.as_postgres else []) + argv
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.directory)
        if done.returncode != 0:
            log = open(self.log, encoding="utf-8").read() if os.path.exists(self.log) else ""
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self):
        """Starts the server and waits until it accepts connections."""
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-l", self.log, "-w", "-s",
                   "start"])
        self.running = True

    def stop(self, mode="immediate"):
        """Stops the server: "immediate" is a crash (clients see their connections drop)."""
        self._run([os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "-s",
                   "stop"])
        self.running = False

    def postmaster_pid(self):
        with open(os.path.join(self.data, "postmaster.pid"), encoding="utf-8") as f:
            return int(f.readline())

    def conninfo(self, database="postgres"):
        return f"host={self.directory} user=postgres dbname={database}"

    def create_database(self, name=None):
        """Creates an empty database and returns its connection string."""
        self._databases += 1
        name = name or f"test_{self._databases}"
        self.sql(self.conninfo(), f"CREATE DATABASE {name} TEMPLATE template0")
        return self.conninfo(name)

    def sql(self, conninfo, text):
        """Runs SQL with psql; returns the rows, each a list of column texts."""
        done = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t", "-F", "\t",
                               "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", text],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr}")
        return [line.split("\t") for line in done.stdout.splitlines()]

    def close(self):
        if self in _live:
            _live.remove(self)
        if self.running:
            try:
                self.stop("immediate")
            except RuntimeError:
                pass
        # A process of the server may still be finishing a file as it goes: try a few times.
        for _ in range(20):
            shutil.rmtree(self.directory, ignore_errors=True)
            if not os.path.exists(self.directory):
                break
            time.sleep(0.05)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

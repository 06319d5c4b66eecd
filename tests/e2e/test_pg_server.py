"""The PostgreSQL harness that cluster end-to-end tests stand on (SPEC 14: a real server started
by the tests, a unix socket only, the postgres user when run as root)."""
import os
import unittest

from pg_server import PgServer


class PgServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = PgServer()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_databases_are_separate(self):
        first = self.server.create_database()
        second = self.server.create_database()
        self.server.sql(first, "CREATE TABLE t (x int); INSERT INTO t VALUES (1)")
        self.assertEqual(self.server.sql(first, "SELECT count(*) FROM t"), [["1"]])
        self.assertEqual(self.server.sql(second, "SELECT to_regclass('t')"), [[""]])

    def test_unix_socket_only_and_not_root(self):
        url = self.server.create_database()
        rows = self.server.sql(url, "SELECT current_setting('listen_addresses'), "
                                    "current_setting('unix_socket_directories')")
        self.assertEqual(rows, [["", self.server.directory]])
        with open(f"/proc/{self.server.postmaster_pid()}/status", encoding="utf-8") as f:
            uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
        self.assertNotEqual(uid, 0)
        if os.geteuid() == 0:
            self.assertEqual(os.stat(self.server.directory).st_uid, uid)

    def test_an_immediate_stop_keeps_what_was_committed(self):
        url = self.server.create_database()
        self.server.sql(url, "CREATE TABLE t (x int); INSERT INTO t VALUES (7)")
        self.server.stop("immediate")
        with self.assertRaises(RuntimeError):
            self.server.sql(url, "SELECT 1")
        self.server.start()
        self.assertEqual(self.server.sql(url, "SELECT x FROM t"), [["7"]])


if __name__ == "__main__":
    unittest.main()

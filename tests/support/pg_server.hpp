#pragma once
// A real PostgreSQL server for the tests: Debian's postgresql-15 server binaries, initdb and
// pg_ctl in a temporary directory, listening on a unix socket in that directory only
// (listen_addresses = ''), durability off for speed. When the tests run as root the server runs
// as the `postgres` user through runuser (PostgreSQL refuses root), and the directory belongs
// to that user. One server per test binary run, started on first use and stopped at exit (also
// when the process dies of a fatal signal); each test case takes a fresh database.
//
// $TASKSRUN_PG_BINDIR overrides where initdb, pg_ctl and postgres are found.
#include <string>
#include <vector>

namespace tasksrun::test {

class PgServer {
  public:
    // The server of this test run, started on first call. Throws std::runtime_error when it
    // cannot be started (with the server's log in the message).
    static PgServer& shared();

    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    // Creates a new, empty database and returns its libpq connection string.
    std::string create_database();
    std::string conninfo(const std::string& database) const;
    const std::string& socket_directory() const { return directory_; }

    // Stops the server at once, as a crash would (pg_ctl stop -m immediate): clients see their
    // connections drop. start() brings it back (with crash recovery); both wait until done.
    void stop_immediately();
    void start();
    bool running() const { return running_; }

  private:
    PgServer();
    void run_as_server_user(const std::vector<std::string>& argv, const std::string& what) const;

    std::string bindir_;
    std::string directory_;
    std::string data_;
    bool as_postgres_user_ = false;
    bool running_ = false;
    int next_database_ = 0;
};

}  // namespace tasksrun::test

#include "support/pg_server.hpp"

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <vector>

extern char** environ;

namespace tasksrun::test {

namespace {

namespace fs = std::filesystem;

// The postmaster's pid, for the fatal-signal handler: a crashing test binary must not leave a
// server behind.
volatile sig_atomic_t g_postmaster = 0;

void stop_server_and_die(int signal) {
    if (g_postmaster > 0) kill(g_postmaster, SIGQUIT);  // PostgreSQL's immediate shutdown
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

void stop_server_on_fatal_signals() {
    for (const int signal : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGTERM, SIGINT})
        std::signal(signal, stop_server_and_die);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Runs `argv` in `directory` (the server's user may not be allowed into the caller's), its
// output appended to `output`; returns the exit status.
int run(const std::vector<std::string>& argv, const std::string& directory,
        const std::string& output) {
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, output.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
    pid_t pid = 0;
    const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string find_bindir() {
    if (const char* dir = std::getenv("TASKSRUN_PG_BINDIR")) return dir;
    return "/usr/lib/postgresql/15/bin";
}

}  // namespace

PgServer& PgServer::shared() {
    static PgServer server;
    return server;
}

PgServer::PgServer() : bindir_(find_bindir()), as_postgres_user_(geteuid() == 0) {
    if (!fs::exists(fs::path(bindir_) / "initdb"))
        throw std::runtime_error("no PostgreSQL server binaries in " + bindir_ +
                                 " (install postgresql-15: scripts/install-deps.sh)");
    char name[] = "/tmp/tasksrun-pg-XXXXXX";
    if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    directory_ = name;
    data_ = directory_ + "/data";
    if (as_postgres_user_) {
        const passwd* user = getpwnam("postgres");
        if (user == nullptr) throw std::runtime_error("running as root, but no user postgres");
        if (chown(directory_.c_str(), user->pw_uid, user->pw_gid) != 0)
            throw std::runtime_error("cannot give " + directory_ + " to postgres");
    }
    run_as_server_user({bindir_ + "/initdb", "-D", data_, "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8", "--locale=C"},
                       "initdb");
    {
        // The server's own settings file, so that no shell quoting is involved.
        std::ofstream conf(data_ + "/postgresql.conf", std::ios::app);
        conf << "\nlisten_addresses = ''\n"
             << "unix_socket_directories = '" << directory_
             << "'\n"
             // Durability against power loss is not tested; commits still reach the kernel
             // before they return (no synchronous_commit = off: an immediate stop would lose
             // them, as a crash does).
             << "fsync = off\nfull_page_writes = off\n"
             << "max_connections = 200\n";
    }
    stop_server_on_fatal_signals();
    start();
}

PgServer::~PgServer() {
    if (running_) {
        try {
            stop_immediately();
        } catch (const std::exception&) {
            // At exit: the directory goes anyway, and the server with its socket.
        }
    }
    // A process of the server may still be finishing a file as it goes: try a few times.
    for (int attempt = 0; attempt < 20 && fs::exists(directory_); ++attempt) {
        std::error_code ignored;
        fs::remove_all(directory_, ignored);
        if (fs::exists(directory_)) usleep(50'000);
    }
}

void PgServer::run_as_server_user(const std::vector<std::string>& argv,
                                  const std::string& what) const {
    std::vector<std::string> command;
    if (as_postgres_user_) command = {"runuser", "-u", "postgres", "--"};
    command.insert(command.end(), argv.begin(), argv.end());
    const std::string output = directory_ + "/" + what + ".out";
    if (run(command, directory_, output) != 0) {
        throw std::runtime_error(what + " failed:\n" + read_file(output) +
                                 read_file(directory_ + "/server.log"));
    }
}

void PgServer::start() {
    run_as_server_user(
        {bindir_ + "/pg_ctl", "-D", data_, "-l", directory_ + "/server.log", "-w", "-s", "start"},
        "pg_ctl-start");
    running_ = true;
    std::istringstream pid_file(read_file(data_ + "/postmaster.pid"));
    int pid = 0;
    pid_file >> pid;
    g_postmaster = pid;
}

void PgServer::stop_immediately() {
    run_as_server_user({bindir_ + "/pg_ctl", "-D", data_, "-m", "immediate", "-w", "-s", "stop"},
                       "pg_ctl-stop");
    running_ = false;
    g_postmaster = 0;
}

std::string PgServer::conninfo(const std::string& database) const {
    return "host=" + directory_ + " user=postgres dbname=" + database;
}

std::string PgServer::create_database() {
    const std::string name = "test_" + std::to_string(++next_database_);
    std::unique_ptr<PGconn, decltype(&PQfinish)> admin(PQconnectdb(conninfo("postgres").c_str()),
                                                       &PQfinish);
    if (PQstatus(admin.get()) != CONNECTION_OK)
        throw std::runtime_error(std::string("cannot connect: ") + PQerrorMessage(admin.get()));
    const std::string sql = "CREATE DATABASE " + name + " TEMPLATE template0";
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(admin.get(), sql.c_str()),
                                                         &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK)
        throw std::runtime_error("CREATE DATABASE failed: " +
                                 std::string(PQresultErrorMessage(result.get())));
    return conninfo(name);
}

}  // namespace tasksrun::test

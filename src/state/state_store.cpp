#include "state/state_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace tasksrun {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS slots(task TEXT PRIMARY KEY, last_fired_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY,
  task TEXT NOT NULL,
  loop INTEGER NOT NULL,
  scheduled_us INTEGER NOT NULL,
  started_us INTEGER NOT NULL,
  lateness_us INTEGER NOT NULL,
  duration_us INTEGER,
  attempts INTEGER NOT NULL,
  outcome TEXT NOT NULL,
  class TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS runs_by_task ON runs(task, id);
CREATE TABLE IF NOT EXISTS reboot_starts(
  task TEXT PRIMARY KEY, boot_id TEXT NOT NULL, started_us INTEGER NOT NULL);
)sql";

// Long command errors are for the log; the history keeps their start.
constexpr std::size_t kMessageLimit = 1000;

std::string database_path(const std::string& dir) {
    return (std::filesystem::path(dir) / "state.db").string();
}

std::string sqlite_error(sqlite3* db, const std::string& what) {
    return what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

void bind(sqlite3_stmt* statement, int index, std::string_view text) {
    sqlite3_bind_text(statement, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
}
void bind(sqlite3_stmt* statement, int index, std::int64_t value) {
    sqlite3_bind_int64(statement, index, value);
}

std::string column_text(sqlite3_stmt* statement, int index) {
    const auto* text = sqlite3_column_text(statement, index);
    return text == nullptr ? std::string() : reinterpret_cast<const char*>(text);
}

Instant column_instant(sqlite3_stmt* statement, int index) {
    return Instant{Duration{sqlite3_column_int64(statement, index)}};
}

// Resets a cached statement however the caller leaves, so the next use starts clean.
struct StatementReset {
    sqlite3_stmt* statement;
    ~StatementReset() {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
    }
};

std::expected<sqlite3*, std::string> open_database(const std::string& path, int flags) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
        std::string message = sqlite_error(db, "cannot open " + path);
        sqlite3_close(db);
        return std::unexpected(std::move(message));
    }
    // A reader may meet the daemon in the middle of a checkpoint; wait rather than fail.
    sqlite3_busy_timeout(db, 2000);
    return db;
}

}  // namespace

StateStore::StateStore(sqlite3* db, std::string path, int lock_fd)
    : db_(db), path_(std::move(path)), lock_fd_(lock_fd) {}

StateStore::~StateStore() {
    for (sqlite3_stmt* statement : {upsert_slot_, insert_run_, trim_runs_, end_run_})
        sqlite3_finalize(statement);
    sqlite3_close(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::expected<std::unique_ptr<StateStore>, std::string> StateStore::open(
    const std::string& dir, const std::string& config_path) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return std::unexpected("cannot create state_dir " + dir + ": " + error.message());

    const std::string lock_path = (std::filesystem::path(dir) / "lock").string();
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0)
        return std::unexpected("cannot open " + lock_path + ": " + std::strerror(errno));
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(lock_fd);
        return std::unexpected("state_dir " + dir +
                               " is in use by another tasksrun; one state directory belongs to "
                               "one running config");
    }

    const std::string path = database_path(dir);
    auto db = open_database(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!db) {
        ::close(lock_fd);
        return std::unexpected(db.error());
    }
    std::unique_ptr<StateStore> store(new StateStore(*db, path, lock_fd));

    // WAL with synchronous=NORMAL: a commit is an append to the log, durable across a crash of
    // the process (the kernel has it) and consistent across a power cut, without an fsync per run.
    char* message = nullptr;
    const std::string setup = std::string("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") +
                              kSchema +
                              "UPDATE runs SET outcome = 'interrupted' WHERE outcome = 'running';";
    if (sqlite3_exec(*db, setup.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = "cannot set up " + path + ": " + (message ? message : "");
        sqlite3_free(message);
        return std::unexpected(std::move(text));
    }

    const std::string canonical = std::filesystem::weakly_canonical(config_path, error).string();
    sqlite3_stmt* owner = store->prepare("SELECT value FROM meta WHERE key = 'config'");
    std::optional<std::string> recorded;
    if (sqlite3_step(owner) == SQLITE_ROW) recorded = column_text(owner, 0);
    sqlite3_finalize(owner);
    if (recorded && *recorded != canonical) {
        return std::unexpected("state_dir " + dir + " belongs to " + *recorded + ", not " +
                               canonical + "; give each config its own state_dir (or delete " +
                               path + " to start afresh)");
    }
    if (!recorded) {
        sqlite3_stmt* record = store->prepare("INSERT INTO meta(key, value) VALUES('config', ?1)");
        bind(record, 1, canonical);
        const int rc = sqlite3_step(record);
        sqlite3_finalize(record);
        if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(*db, "cannot write " + path));
    }

    store->upsert_slot_ = store->prepare(
        "INSERT INTO slots(task, last_fired_us) VALUES(?1, ?2) "
        "ON CONFLICT(task) DO UPDATE SET last_fired_us = excluded.last_fired_us");
    store->insert_run_ = store->prepare(
        "INSERT INTO runs(task, loop, scheduled_us, started_us, lateness_us, attempts, outcome) "
        "VALUES(?1, ?2, ?3, ?4, ?5, 1, 'running')");
    store->trim_runs_ = store->prepare(
        "DELETE FROM runs WHERE task = ?1 AND id <= "
        "(SELECT id FROM runs WHERE task = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
    store->end_run_ = store->prepare(
        "UPDATE runs SET attempts = ?3, outcome = ?4, class = ?5, message = ?6, duration_us = ?7 "
        "WHERE id = (SELECT id FROM runs WHERE task = ?1 AND loop = ?2 ORDER BY id DESC LIMIT 1)");
    return store;
}

std::expected<std::unique_ptr<StateStore>, std::string> StateStore::open_read_only(
    const std::string& dir) {
    const std::string path = database_path(dir);
    if (!std::filesystem::exists(path))
        return std::unexpected("no state database at " + path + " yet: no run has been recorded");
    auto db = open_database(path, SQLITE_OPEN_READONLY);
    if (!db) return std::unexpected(db.error());
    return std::unique_ptr<StateStore>(new StateStore(*db, path, -1));
}

sqlite3_stmt* StateStore::prepare(const char* sql) const {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
        // The SQL is ours and fixed; failing to prepare it is a broken build or database.
        throw std::runtime_error(sqlite_error(db_, "state database " + path_));
    }
    return statement;
}

std::map<std::string, Instant> StateStore::last_fired_slots() const {
    std::map<std::string, Instant> slots;
    sqlite3_stmt* query = prepare("SELECT task, last_fired_us FROM slots");
    while (sqlite3_step(query) == SQLITE_ROW)
        slots.emplace(column_text(query, 0), column_instant(query, 1));
    sqlite3_finalize(query);
    return slots;
}

std::expected<void, std::string> StateStore::run_in_transaction(
    const std::vector<sqlite3_stmt*>& statements) {
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(sqlite_error(db_, "state database " + path_));
    for (sqlite3_stmt* statement : statements) {
        const StatementReset reset{statement};
        if (sqlite3_step(statement) != SQLITE_DONE) {
            std::string message = sqlite_error(db_, "state database " + path_);
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
            return std::unexpected(std::move(message));
        }
    }
    if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
        std::string message = sqlite_error(db_, "state database " + path_);
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        return std::unexpected(std::move(message));
    }
    return {};
}

std::expected<void, std::string> StateStore::iteration_started(std::string_view task,
                                                               std::uint64_t loop,
                                                               Instant scheduled, Instant started,
                                                               Duration lateness,
                                                               bool on_schedule) {
    bind(insert_run_, 1, task);
    bind(insert_run_, 2, static_cast<std::int64_t>(loop));
    bind(insert_run_, 3, scheduled.time_since_epoch().count());
    bind(insert_run_, 4, started.time_since_epoch().count());
    bind(insert_run_, 5, lateness.count());
    bind(trim_runs_, 1, task);
    bind(trim_runs_, 2, static_cast<std::int64_t>(kHistoryPerTask));
    std::vector<sqlite3_stmt*> statements{insert_run_, trim_runs_};
    if (on_schedule) {
        bind(upsert_slot_, 1, task);
        bind(upsert_slot_, 2, scheduled.time_since_epoch().count());
        statements.push_back(upsert_slot_);
    }
    return run_in_transaction(statements);
}

std::expected<void, std::string> StateStore::iteration_ended(
    std::string_view task, std::uint64_t loop, std::uint32_t attempt, std::string_view outcome,
    std::string_view failure_class, std::string_view message, Duration duration) {
    bind(end_run_, 1, task);
    bind(end_run_, 2, static_cast<std::int64_t>(loop));
    bind(end_run_, 3, static_cast<std::int64_t>(attempt));
    bind(end_run_, 4, outcome);
    bind(end_run_, 5, failure_class);
    bind(end_run_, 6, message.substr(0, kMessageLimit));
    bind(end_run_, 7, duration.count());
    return run_in_transaction({end_run_});
}

std::optional<RebootStart> StateStore::last_reboot_start(std::string_view task) const {
    sqlite3_stmt* query = prepare("SELECT boot_id, started_us FROM reboot_starts WHERE task = ?1");
    bind(query, 1, task);
    std::optional<RebootStart> start;
    if (sqlite3_step(query) == SQLITE_ROW)
        start = RebootStart{column_text(query, 0), column_instant(query, 1)};
    sqlite3_finalize(query);
    return start;
}

std::expected<void, std::string> StateStore::record_reboot_start(std::string_view task,
                                                                 std::string_view boot_id,
                                                                 Instant started) {
    sqlite3_stmt* upsert = prepare(
        "INSERT INTO reboot_starts(task, boot_id, started_us) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(task) DO UPDATE SET boot_id = excluded.boot_id, "
        "started_us = excluded.started_us");
    bind(upsert, 1, task);
    bind(upsert, 2, boot_id);
    bind(upsert, 3, started.time_since_epoch().count());
    auto written = run_in_transaction({upsert});
    sqlite3_finalize(upsert);
    return written;
}

std::vector<RunRecord> StateStore::history(const std::optional<std::string>& task,
                                           std::size_t limit) const {
    const char* sql =
        task ? "SELECT id, task, loop, scheduled_us, started_us, lateness_us, duration_us, "
               "attempts, outcome, class, message FROM runs WHERE task = ?1 "
               "ORDER BY id DESC LIMIT ?2"
             : "SELECT id, task, loop, scheduled_us, started_us, lateness_us, duration_us, "
               "attempts, outcome, class, message FROM runs ORDER BY id DESC LIMIT ?2";
    sqlite3_stmt* query = prepare(sql);
    if (task) bind(query, 1, *task);
    bind(query, 2, static_cast<std::int64_t>(limit));
    std::vector<RunRecord> runs;
    while (sqlite3_step(query) == SQLITE_ROW) {
        RunRecord run;
        run.id = sqlite3_column_int64(query, 0);
        run.task = column_text(query, 1);
        run.loop = static_cast<std::uint64_t>(sqlite3_column_int64(query, 2));
        run.scheduled = column_instant(query, 3);
        run.started = column_instant(query, 4);
        run.lateness = Duration{sqlite3_column_int64(query, 5)};
        if (sqlite3_column_type(query, 6) != SQLITE_NULL)
            run.duration = Duration{sqlite3_column_int64(query, 6)};
        run.attempts = static_cast<std::uint32_t>(sqlite3_column_int64(query, 7));
        run.outcome = column_text(query, 8);
        run.failure_class = column_text(query, 9);
        run.message = column_text(query, 10);
        runs.push_back(std::move(run));
    }
    sqlite3_finalize(query);
    return runs;
}

}  // namespace tasksrun

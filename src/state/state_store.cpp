#include "state/state_store.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

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

// The columns of a RunRecord, in the order StateStore::read_runs reads them.
constexpr std::string_view kSelectRuns =
    "SELECT id, task, loop, scheduled_us, started_us, lateness_us, duration_us, attempts, "
    "outcome, class, message FROM runs ";

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

// Steps `query` through its rows, calling `row(query)` for each; an error on any step (a
// corrupt page, a full disk, a busy database past the timeout) is returned, not a short result.
template <typename Row>
std::expected<void, std::string> each_row(sqlite3* db, sqlite3_stmt* query, const std::string& what,
                                          Row row) {
    int rc;
    while ((rc = sqlite3_step(query)) == SQLITE_ROW) row(query);
    if (rc != SQLITE_DONE) return std::unexpected(sqlite_error(db, what));
    return {};
}

}  // namespace

StateStore::StateStore(sqlite3* db, std::string path, int lock_fd)
    : db_(db), path_(std::move(path)), lock_fd_(lock_fd) {}

void StateStore::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
    sqlite3_finalize(statement);
}

StateStore::~StateStore() {
    upsert_slot_.reset();
    insert_run_.reset();
    trim_runs_.reset();
    end_run_.reset();
    sqlite3_close(db_);
    if (lock_fd_ >= 0) ::close(lock_fd_);
}

namespace {

// The run history holds what commands printed and failed with: the daemon's files are its
// own, 0600, and a directory it creates is 0700, whatever the umask (SPEC 10.4). SQLite gives
// the -wal and -shm files it creates the database's mode.
std::expected<void, std::string> make_private_files(const std::string& dir, bool dir_created) {
    namespace fs = std::filesystem;
    std::error_code error;
    if (dir_created) fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, error);
    if (error) return std::unexpected("cannot make " + dir + " private: " + error.message());
    const std::string db = database_path(dir);
    const int fd = ::open(db.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return std::unexpected("cannot create " + db + ": " + std::strerror(errno));
    ::close(fd);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        const std::string file = db + suffix;
        if (fs::exists(file, error)) {
            fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write,
                            fs::perm_options::replace, error);
        }
        if (error) return std::unexpected("cannot make " + file + " private: " + error.message());
    }
    return {};
}

}  // namespace

std::expected<std::unique_ptr<StateStore>, std::string> StateStore::open(
    const std::string& dir, const std::string& config_path) {
    std::error_code error;
    const bool dir_created = std::filesystem::create_directories(dir, error);
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

    if (auto private_files = make_private_files(dir, dir_created); !private_files) {
        ::close(lock_fd);
        return std::unexpected(private_files.error());
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
    if (auto owned = store->claim_for(canonical, dir); !owned)
        return std::unexpected(owned.error());
    if (auto prepared = store->prepare_writes(); !prepared)
        return std::unexpected(prepared.error());
    return store;
}

std::expected<void, std::string> StateStore::claim_for(const std::string& config,
                                                       const std::string& dir) {
    auto owner = prepare("SELECT value FROM meta WHERE key = 'config'");
    if (!owner) return std::unexpected(owner.error());
    std::optional<std::string> recorded;
    auto read = each_row(db_, owner->get(), "cannot read " + path_,
                         [&](sqlite3_stmt* row) { recorded = column_text(row, 0); });
    if (!read) return read;
    if (recorded && *recorded != config) {
        return std::unexpected("state_dir " + dir + " belongs to " + *recorded + ", not " + config +
                               "; give each config its own state_dir (or delete " + path_ +
                               " to start afresh)");
    }
    if (recorded) return {};
    auto record = prepare("INSERT INTO meta(key, value) VALUES('config', ?1)");
    if (!record) return std::unexpected(record.error());
    bind(record->get(), 1, config);
    return run_in_transaction({record->get()});
}

std::expected<void, std::string> StateStore::prepare_writes() {
    const std::pair<Statement*, const char*> statements[] = {
        {&upsert_slot_,
         "INSERT INTO slots(task, last_fired_us) VALUES(?1, ?2) "
         "ON CONFLICT(task) DO UPDATE SET last_fired_us = excluded.last_fired_us"},
        {&insert_run_,
         "INSERT INTO runs(task, loop, scheduled_us, started_us, lateness_us, attempts, outcome) "
         "VALUES(?1, ?2, ?3, ?4, ?5, 1, 'running')"},
        {&trim_runs_,
         "DELETE FROM runs WHERE task = ?1 AND id <= "
         "(SELECT id FROM runs WHERE task = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)"},
        {&end_run_,
         "UPDATE runs SET attempts = ?3, outcome = ?4, class = ?5, message = ?6, duration_us = ?7 "
         "WHERE id = (SELECT id FROM runs WHERE task = ?1 AND loop = ?2 ORDER BY id DESC LIMIT 1)"},
    };
    for (const auto& [statement, sql] : statements) {
        auto prepared = prepare(sql);
        if (!prepared) return std::unexpected(prepared.error());
        *statement = std::move(*prepared);
    }
    return {};
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

std::expected<StateStore::Statement, std::string> StateStore::prepare(const char* sql) const {
    sqlite3_stmt* statement = nullptr;
    // The SQL is ours and fixed: failing to prepare it means a database that is not ours, or
    // corrupt.
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
        return std::unexpected(sqlite_error(db_, "state database " + path_));
    }
    return Statement(statement);
}

std::expected<std::map<std::string, Instant>, std::string> StateStore::last_fired_slots() const {
    auto query = prepare("SELECT task, last_fired_us FROM slots");
    if (!query) return std::unexpected(query.error());
    std::map<std::string, Instant> slots;
    auto read = each_row(
        db_, query->get(), "cannot read the slots of " + path_,
        [&](sqlite3_stmt* row) { slots.emplace(column_text(row, 0), column_instant(row, 1)); });
    if (!read) return std::unexpected(read.error());
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
    sqlite3_stmt* insert = insert_run_.get();
    sqlite3_stmt* trim = trim_runs_.get();
    bind(insert, 1, task);
    bind(insert, 2, static_cast<std::int64_t>(loop));
    bind(insert, 3, scheduled.time_since_epoch().count());
    bind(insert, 4, started.time_since_epoch().count());
    bind(insert, 5, lateness.count());
    bind(trim, 1, task);
    bind(trim, 2, static_cast<std::int64_t>(kHistoryPerTask));
    std::vector<sqlite3_stmt*> statements{insert, trim};
    if (on_schedule) {
        bind(upsert_slot_.get(), 1, task);
        bind(upsert_slot_.get(), 2, scheduled.time_since_epoch().count());
        statements.push_back(upsert_slot_.get());
    }
    return run_in_transaction(statements);
}

std::expected<void, std::string> StateStore::iteration_ended(
    std::string_view task, std::uint64_t loop, std::uint32_t attempt, std::string_view outcome,
    std::string_view failure_class, std::string_view message, Duration duration) {
    sqlite3_stmt* end = end_run_.get();
    bind(end, 1, task);
    bind(end, 2, static_cast<std::int64_t>(loop));
    bind(end, 3, static_cast<std::int64_t>(attempt));
    bind(end, 4, outcome);
    bind(end, 5, failure_class);
    bind(end, 6, message.substr(0, kMessageLimit));
    bind(end, 7, duration.count());
    return run_in_transaction({end});
}

std::expected<std::optional<RebootStart>, std::string> StateStore::last_reboot_start(
    std::string_view task) const {
    auto query = prepare("SELECT boot_id, started_us FROM reboot_starts WHERE task = ?1");
    if (!query) return std::unexpected(query.error());
    bind(query->get(), 1, task);
    std::optional<RebootStart> start;
    auto read = each_row(db_, query->get(), "cannot read the @reboot starts of " + path_,
                         [&](sqlite3_stmt* row) {
                             start = RebootStart{column_text(row, 0), column_instant(row, 1)};
                         });
    if (!read) return std::unexpected(read.error());
    return start;
}

std::expected<void, std::string> StateStore::record_reboot_start(std::string_view task,
                                                                 std::string_view boot_id,
                                                                 Instant started) {
    auto upsert = prepare(
        "INSERT INTO reboot_starts(task, boot_id, started_us) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(task) DO UPDATE SET boot_id = excluded.boot_id, "
        "started_us = excluded.started_us");
    if (!upsert) return std::unexpected(upsert.error());
    bind(upsert->get(), 1, task);
    bind(upsert->get(), 2, boot_id);
    bind(upsert->get(), 3, started.time_since_epoch().count());
    return run_in_transaction({upsert->get()});
}

std::expected<std::vector<RunRecord>, std::string> StateStore::history(
    const std::optional<std::string>& task, std::size_t limit) const {
    const std::string sql =
        std::string(kSelectRuns) +
        (task ? "WHERE task = ?1 ORDER BY id DESC LIMIT ?2" : "ORDER BY id DESC LIMIT ?2");
    auto prepared = prepare(sql.c_str());
    if (!prepared) return std::unexpected(prepared.error());
    sqlite3_stmt* query = prepared->get();
    if (task) bind(query, 1, *task);
    bind(query, 2, static_cast<std::int64_t>(limit));
    struct Collect final : RunSink {
        std::vector<RunRecord> runs;
        void add(const RunRecord& run) override { runs.push_back(run); }
    } collect;
    auto read = read_runs(query, collect);
    if (!read) return std::unexpected(read.error());
    return std::move(collect.runs);
}

std::expected<void, std::string> StateStore::read_runs(sqlite3_stmt* query, RunSink& sink) const {
    RunRecord run;
    return each_row(db_, query, "cannot read the runs of " + path_, [&](sqlite3_stmt* row) {
        run.id = sqlite3_column_int64(row, 0);
        run.task = column_text(row, 1);
        run.loop = static_cast<std::uint64_t>(sqlite3_column_int64(row, 2));
        run.scheduled = column_instant(row, 3);
        run.started = column_instant(row, 4);
        run.lateness = Duration{sqlite3_column_int64(row, 5)};
        run.duration = sqlite3_column_type(row, 6) == SQLITE_NULL
                           ? std::nullopt
                           : std::optional(Duration{sqlite3_column_int64(row, 6)});
        run.attempts = static_cast<std::uint32_t>(sqlite3_column_int64(row, 7));
        run.outcome = column_text(row, 8);
        run.failure_class = column_text(row, 9);
        run.message = column_text(row, 10);
        sink.add(run);
    });
}

// --- For the status page and /metrics (src/observe) ---

std::expected<void, std::string> StateStore::runs_since(Instant since, RunSink& sink) const {
    const std::string sql = std::string(kSelectRuns) + "WHERE started_us >= ?1 ORDER BY task, id";
    auto prepared = prepare(sql.c_str());
    if (!prepared) return std::unexpected(prepared.error());
    bind(prepared->get(), 1, static_cast<std::int64_t>(since.time_since_epoch().count()));
    return read_runs(prepared->get(), sink);
}

std::expected<std::map<std::string, Instant>, std::string> StateStore::last_successes() const {
    auto prepared = prepare(
        "SELECT task, MAX(started_us + duration_us) FROM runs "
        "WHERE outcome = 'ok' AND duration_us IS NOT NULL GROUP BY task");
    if (!prepared) return std::unexpected(prepared.error());
    std::map<std::string, Instant> ended;
    auto read =
        each_row(db_, prepared->get(), "cannot read the runs of " + path_,
                 [&](sqlite3_stmt* row) { ended[column_text(row, 0)] = column_instant(row, 1); });
    if (!read) return std::unexpected(read.error());
    return ended;
}

}  // namespace tasksrun

#pragma once
// The daemon's memory across restarts (SPEC 6): each task's last fired slot, and a bounded
// history of runs, in one SQLite database in WAL mode under state_dir. Every write is one
// transaction, so a crash (kill -9 included) at any moment leaves a consistent database that
// holds every write that returned. Not thread-safe: the runtime thread owns it.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/instant.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace tasksrun {

// One iteration as `tasksrun history` shows it. While it runs, `outcome` is "running"; a run
// that was running when the daemon died reads "interrupted".
struct RunRecord {
    std::int64_t id = 0;
    std::string task;
    std::uint64_t loop = 0;
    Instant scheduled{};
    Instant started{};
    Duration lateness{0};
    std::optional<Duration> duration = std::nullopt;
    std::uint32_t attempts = 1;
    std::string outcome;  // running, ok, failed, cancelled, interrupted
    std::string failure_class;
    std::string message;
};

// Told of runs one at a time, as a query yields them.
class RunSink {
  public:
    virtual void add(const RunRecord& run) = 0;

  protected:
    ~RunSink() = default;
};

// When a @reboot task last started, and in which boot (the kernel's boot id).
struct RebootStart {
    std::string boot_id;
    Instant started{};
};

// How many runs are kept per task; older ones are deleted as new ones arrive.
inline constexpr std::size_t kHistoryPerTask = 1000;

class StateStore {
  public:
    // Opens (creating it if needed) `dir`/state.db for a daemon running `config_path`, and takes
    // an exclusive lock on the directory. Fails with a message if the directory cannot be
    // created or locked (another daemon uses it), if the database cannot be opened, or if it
    // belongs to another config file. Runs left "running" by a dead daemon become "interrupted".
    static std::expected<std::unique_ptr<StateStore>, std::string> open(
        const std::string& dir, const std::string& config_path);
    // For `tasksrun history`: no lock and no writes. Fails if there is no database yet.
    static std::expected<std::unique_ptr<StateStore>, std::string> open_read_only(
        const std::string& dir);

    ~StateStore();
    StateStore(const StateStore&) = delete;
    StateStore& operator=(const StateStore&) = delete;

    // The last slot each task fired, by task name; an error when the database cannot be read.
    std::expected<std::map<std::string, Instant>, std::string> last_fired_slots() const;

    // An iteration started: a "running" run is recorded, and when it is `on_schedule` its slot
    // becomes the task's last fired slot (`ctl run-now` runs are not slots). Returns an error
    // message when the write failed (the daemon goes on).
    std::expected<void, std::string> iteration_started(std::string_view task, std::uint64_t loop,
                                                       Instant scheduled, Instant started,
                                                       Duration lateness, bool on_schedule);
    // The latest run of `task` with this loop index ends (or an attempt of it failed and will be
    // retried: the row shows the latest attempt).
    std::expected<void, std::string> iteration_ended(std::string_view task, std::uint64_t loop,
                                                     std::uint32_t attempt,
                                                     std::string_view outcome,
                                                     std::string_view failure_class,
                                                     std::string_view message, Duration duration);

    // @reboot tasks run once per boot (SPEC 12): the boot in which `task` last started, if
    // any (an error when the database cannot be read), and recording a start (an error when
    // the write failed).
    std::expected<std::optional<RebootStart>, std::string> last_reboot_start(
        std::string_view task) const;
    std::expected<void, std::string> record_reboot_start(std::string_view task,
                                                         std::string_view boot_id, Instant started);

    // The most recent runs, newest first; of one task when `task` is set. An error when the
    // database cannot be read.
    std::expected<std::vector<RunRecord>, std::string> history(
        const std::optional<std::string>& task, std::size_t limit) const;

    // Tells `sink` of each run that started at or after `since`, grouped by task (by name),
    // oldest first within a task: the status page's timelines, read without holding a day of
    // history. An error when the database cannot be read.
    std::expected<void, std::string> runs_since(Instant since, RunSink& sink) const;
    // When each task's latest successful run ended, by task name: /metrics' last success
    // survives a restart. An error when the database cannot be read.
    std::expected<std::map<std::string, Instant>, std::string> last_successes() const;

    const std::string& path() const { return path_; }

  private:
    struct FinalizeStatement {
        void operator()(sqlite3_stmt* statement) const;
    };
    using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

    StateStore(sqlite3* db, std::string path, int lock_fd);
    std::expected<Statement, std::string> prepare(const char* sql) const;
    // Steps through a query that selects the RunRecord columns (kSelectRuns).
    std::expected<void, std::string> read_runs(sqlite3_stmt* query, RunSink& sink) const;
    // Records `config` as the database's owner, or refuses one that another config owns.
    std::expected<void, std::string> claim_for(const std::string& config, const std::string& dir);
    std::expected<void, std::string> prepare_writes();
    std::expected<void, std::string> run_in_transaction(
        const std::vector<sqlite3_stmt*>& statements);

    sqlite3* const db_;
    const std::string path_;
    const int lock_fd_;
    Statement upsert_slot_;
    Statement insert_run_;
    Statement trim_runs_;
    Statement end_run_;
};

}  // namespace tasksrun

#pragma once
// The tasks a daemon runs: one TaskRunner per enabled task of the current config, and what a
// reload does to them (SPEC 6): unchanged tasks keep their runner, changed ones stop gracefully
// and hand over to a runner of the new config once they have settled, removed ones stop, added
// ones start. Each resumes after the last slot it fired (from the state store, or from the runner
// it replaces).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/control_commands.hpp"
#include "runtime/generation.hpp"
#include "runtime/task_runner.hpp"

namespace tasksrun {

// The tasks a daemon runs: the enabled ones, in file order.
std::vector<const TaskConfig*> enabled_tasks(const Config& config);

class TaskSet final : private SettleListener {
  public:
    // `settled_changed` is called after an event that may have left every runner settled (never
    // while the set is being changed); the owner asks all_settled().
    TaskSet(const TaskServices& services, std::shared_ptr<const Generation> generation,
            std::function<void()> settled_changed);

    // Starts every task, each after the last slot the state store recorded for it.
    void start_all();
    // Stops every loop (graceful), or cancels every running action; nothing new starts.
    void stop_all();
    void cancel_all();
    // Makes `next` the running config by difference. Returns what happened, for the log.
    struct Applied {
        std::size_t unchanged = 0, changed = 0, added = 0, removed = 0;
    };
    Applied apply(std::shared_ptr<const Generation> next);

    const Generation& generation() const { return *generation_; }
    const TaskIndex& index() const { return index_; }
    std::size_t size() const { return tasks_.size(); }
    // Nothing runs and nothing will, removed tasks and pending handovers included.
    bool all_settled() const;
    bool any_failed() const;
    // "3 of 3 tasks running; next: heartbeat at 2026-...Z", for systemd's status line.
    std::string status_line() const;

  private:
    // One enabled task of the current config, under its name.
    struct Slot {
        std::unique_ptr<TaskRunner> runner;  // what runs under this name now
        // Set when a reload changed the task: `runner` is stopping, and a runner for this
        // config starts, where it left off, once it has.
        const TaskConfig* successor = nullptr;
    };

    // While one lives, runners settling are not acted on: the set is starting or replacing many
    // of them, and its task list may be half-built. Its end acts on them all at once.
    class Batch {
      public:
        explicit Batch(TaskSet& set) : set_(set) { set_.in_batch_ = true; }
        ~Batch();
        Batch(const Batch&) = delete;
        Batch& operator=(const Batch&) = delete;

      private:
        TaskSet& set_;
    };

    std::unique_ptr<TaskRunner> make_runner(const TaskConfig& task);
    // The last fired slot of each task in the state database; empty without one.
    std::map<std::string, Instant> stored_slots() const;
    void on_runner_settled() override;
    void hand_over();
    void rebuild_index();

    const TaskServices& services_;
    std::shared_ptr<const Generation> generation_;
    const std::function<void()> settled_changed_;
    std::vector<Slot> tasks_;                           // file order
    std::vector<std::unique_ptr<TaskRunner>> removed_;  // stopping, dropped once settled
    TaskIndex index_;
    EventSource handover_;
    bool in_batch_ = false;
};

}  // namespace tasksrun

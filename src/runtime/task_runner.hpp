#pragma once
// Drives one task's Loop: carries out its commands (timers, attempts, hooks, logs) on the event
// loop and reports what happened back to it. Hooks of a task run one at a time, in order, so
// that on_error comes before after_loop.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "actions/action_run.hpp"
#include "config/config.hpp"
#include "loop/loop.hpp"
#include "runtime/action_launcher.hpp"

namespace tasksrun {

LoopSettings loop_settings(const TaskConfig& task);

class TaskRunner {
  public:
    // `on_settled` is called after an event that left the runner settled, so the owner can tell
    // when all tasks have.
    TaskRunner(const RuntimeServices& services, const TaskConfig& task, std::uint64_t seed,
               std::function<void()> on_settled);

    void start();
    void stop();
    void cancel();

    const Loop& loop() const { return loop_; }
    const TaskConfig& task() const { return task_; }
    // Nothing runs and nothing will: the loop has ended and every action has reported back.
    bool settled() const;

  private:
    struct Running {
        std::unique_ptr<ActionRun> run;
        Instant started;
    };
    struct HookRun {
        HookKind kind;
        Running running;
    };

    void execute(Commands commands);
    void arm(const ArmTimer& command);
    void start_attempt(const StartAttempt& command);
    void abort_running();
    void run_next_hook();
    void retire(std::unique_ptr<ActionRun> run);
    void after_event();

    const RuntimeServices& services_;
    const TaskConfig& task_;
    Loop loop_;
    std::function<void()> on_settled_;
    std::map<std::pair<int, std::uint64_t>, EventSource> timers_;
    std::map<std::uint64_t, Running> attempts_;
    // A vector, not a deque: a deque allocates ~600 bytes up front, in every task, for a queue
    // that is nearly always empty.
    std::vector<RunHook> hook_queue_;
    std::optional<HookRun> hook_;
    std::vector<std::unique_ptr<ActionRun>> graveyard_;
    EventSource graveyard_sweep_;
};

}  // namespace tasksrun

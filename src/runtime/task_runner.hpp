#pragma once
// Drives one task's Loop: carries out its commands (timers, attempts, hooks, logs) on the event
// loop and reports what happened back to it. Hooks of a task run one at a time, in order, so
// that on_error comes before after_loop.
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "actions/command_runner.hpp"
#include "config/config.hpp"
#include "log/logger.hpp"
#include "loop/loop.hpp"
#include "runtime/event_loop.hpp"

namespace tasksrun {

LoopSettings loop_settings(const TaskConfig& task);

// The TASKSRUN_* variables a command of this task sees (SPEC 3); hooks get their context too.
std::vector<std::pair<std::string, std::string>> task_environment(const std::string& task,
                                                                  std::uint64_t loop,
                                                                  std::optional<Instant> scheduled,
                                                                  std::uint32_t attempt,
                                                                  const HookContext* hook);

class TaskRunner {
  public:
    // `settled` is called after an event that left the runner settled, so the owner can tell
    // when all tasks have.
    TaskRunner(EventLoop& events, Logger& logger, const TaskConfig& task, std::uint64_t seed,
               std::function<void()> settled);

    void start();
    void stop();
    void cancel();

    const Loop& loop() const { return loop_; }
    const TaskConfig& task() const { return task_; }
    // Nothing runs and nothing will: the loop has ended and every process has been reaped.
    bool settled() const;

  private:
    struct Attempt {
        std::unique_ptr<CommandRun> run;
        Instant started;
    };
    struct HookRun {
        HookKind kind;
        std::unique_ptr<CommandRun> run;
        Instant started;
    };

    void execute(Commands commands);
    void arm(const ArmTimer& command);
    void start_attempt(const StartAttempt& command);
    void abort_running();
    void run_next_hook();
    void retire(std::unique_ptr<CommandRun> run);
    void after_event();

    EventLoop& events_;
    Logger& logger_;
    const TaskConfig& task_;
    Loop loop_;
    std::function<void()> on_settled_;
    std::map<std::pair<int, std::uint64_t>, EventSource> timers_;
    std::map<std::uint64_t, Attempt> attempts_;
    std::deque<RunHook> hook_queue_;
    std::optional<HookRun> hook_;
    std::vector<std::unique_ptr<CommandRun>> graveyard_;
    EventSource graveyard_sweep_;
};

}  // namespace tasksrun

#pragma once
// Drives one task's Loop: carries out its commands (timers, attempts, hooks, logs) through the
// runtime's environment and reports what happened back to it. Hooks of a task run one at a time,
// in order, so that on_error comes before after_loop. Records each iteration in the state store,
// if any, and reports it to the task's health check, if any.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actions/action_run.hpp"
#include "config/config.hpp"
#include "log/logger.hpp"
#include "loop/loop.hpp"
#include "observe/observer.hpp"
#include "observe/snapshot.hpp"
#include "runtime/generation.hpp"
#include "runtime/runtime_env.hpp"
#include "util/flat_map.hpp"

namespace tasksrun {

class StateStore;

// The task's Loop settings as its config gives them. A cluster replica's loop claims each slot
// before it runs it, on an interval grid anchored at the epoch (plus `offset`) so that every
// replica computes the same slots.
enum class Replication { alone, cluster };
LoopSettings loop_settings(const TaskConfig& task, Replication replication);
// How a daemon runs the config's tasks: alone, or as a cluster replica ([tasksrun] cluster_*).
Replication replication_of(const Config& config);

// What every runner of a daemon shares.
struct TaskServices {
    RuntimeEnv& env;
    Logger& logger;
    StateStore* store = nullptr;   // null: nothing persists
    bool send_pings = true;        // run-once sends none
    Observer* observer = nullptr;  // observability (src/observe): null without [tasksrun] http
    Replication replication = Replication::alone;  // cluster: slots are claimed (SPEC 14)
};

// How the most recent iteration ended, for `ctl status`.
struct LastRun {
    std::uint64_t loop = 0;
    Instant ended{};
    Duration duration{0};
    std::string outcome;  // ok, failed, cancelled, stopped, retrying
    std::string failure_class;
};

// Told when a runner has settled, so that its owner can tell when all have. An interface, not
// a std::function: 8 bytes in each of thousands of runners instead of 32.
class SettleListener {
  public:
    virtual void on_runner_settled() = 0;

  protected:
    ~SettleListener() = default;
};

class TaskRunner {
  public:
    // `task` belongs to `generation`'s config; `settings` are its loop's (loop_settings(task)
    // for the daemon). `listener` (may be null) is told after an event that left the runner
    // settled.
    TaskRunner(const TaskServices& services, std::shared_ptr<const Generation> generation,
               const TaskConfig& task, LoopSettings settings, std::uint64_t seed,
               SettleListener* listener);
    // Drops this task's health pings in flight.
    ~TaskRunner();
    TaskRunner(const TaskRunner&) = delete;
    TaskRunner& operator=(const TaskRunner&) = delete;

    // The Loop's methods. start returns false (and logs) on a loop that is already running;
    // `last_fired` resumes the schedule after a slot a previous run fired.
    bool start(std::optional<Instant> last_fired = std::nullopt);
    void stop();
    void cancel();
    void restart();
    void change_schedule(Schedule schedule);
    // Why it cannot, when it cannot (see Loop::run_now).
    std::optional<std::string> run_now();
    // Cluster mode: see Loop::retry_late and Loop::run_taken_over.
    void retry_late();
    std::optional<std::string> run_taken_over(const SlotClaim& claim);

    // A reload found this task unchanged: from now on it belongs to `generation`.
    void rebind(std::shared_ptr<const Generation> generation, const TaskConfig& task);

    const Loop& loop() const { return loop_; }
    // The next slot as a wall-clock instant, as the clocks stand now.
    std::optional<Instant> next_iteration() const { return loop_.next_iteration(env().now()); }
    const TaskConfig& task() const { return *task_; }
    const Generation& generation() const { return *generation_; }
    const LastRun* last_run() const { return last_run_.get(); }
    // Nothing runs and nothing will: the loop has ended and every action has reported back.
    bool settled() const;
    // Observability: the task as /metrics and the status page show it, its schedule described
    // when `describe_schedule`. Views into the task's config: valid until the runner is rebound
    // or destroyed.
    TaskSnapshot snapshot(bool describe_schedule) const;

  private:
    struct Running {
        std::unique_ptr<ActionRun> run;
        MonoInstant started;
        std::shared_ptr<const Generation> pinned;  // what the action reads from while it runs
    };
    struct HookRun {
        HookKind kind;
        Running running;
    };

    RuntimeEnv& env() const { return services_.env; }
    // Tells the Loop something, with the clocks now (`tell(now, out)`), carries out the
    // commands it answers with, and lets the owner know if that left the runner settled. Returns
    // what `tell` returns.
    template <typename Tell>
    auto drive(Tell tell);
    // `outcome`: the attempt whose end the Loop was just told of, if any; RecordRun commands
    // refer to it.
    void execute(Commands commands, const Outcome* outcome = nullptr);
    void arm(const ArmTimer& command);
    void start_attempt(const StartAttempt& command);
    void launch_attempt(const StartAttempt& command);
    // Reports to the Loop how an attempt ended, with its duration.
    void attempt_ended(std::uint64_t iteration, Outcome outcome);
    void claim_slot(const ClaimSlot& command);
    void record_start(const StartAttempt& command, Instant now);
    void record_run(const RecordRun& command, const Outcome* outcome);
    void send_ping(PingKind kind, std::string body);
    void abort_running();
    void run_next_hook();
    void after_event();
    LaunchContext launch_context(std::uint64_t loop, std::optional<Instant> scheduled) const;

    const TaskServices& services_;
    std::shared_ptr<const Generation> generation_;
    const TaskConfig* task_;
    Loop loop_;
    SettleListener* const listener_;
    FlatMap<std::pair<int, std::uint64_t>, EventSource> timers_;
    FlatMap<std::uint64_t, Running> attempts_;
    // A vector, not a deque: a deque allocates ~600 bytes up front, in every task, for a queue
    // that is nearly always empty.
    std::vector<RunHook> hook_queue_;
    std::unique_ptr<HookRun> hook_;      // a pointer: 8 bytes in each idle task
    std::unique_ptr<LastRun> last_run_;  // a pointer: most idle tasks never need one
    std::uint32_t pings_in_flight_ = 0;
    std::uint32_t claims_in_flight_ = 0;  // cluster mode: claims and checks awaiting the database
    EventSource cancel_unchecked_;
};

}  // namespace tasksrun

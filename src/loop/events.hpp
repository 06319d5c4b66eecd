#pragma once
// What the Loop is told (outcomes of what it asked for) and what it asks for in return.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "loop/failure_class.hpp"
#include "util/instant.hpp"

namespace tasksrun {

enum class HookKind { before_loop, after_loop, on_error, on_success, on_recover };
std::string_view to_string(HookKind kind);

// How an attempt (or a hook) ended. A failure has a class; the rest is detail for hooks and logs.
struct Outcome {
    std::optional<FailureClass> failure = std::nullopt;  // nullopt: success
    std::string error = {};  // one line for people, e.g. "exit status 3"
    std::optional<int> exit_code = std::nullopt;
    std::optional<int> http_status = std::nullopt;
    // What a command printed (up to its task's output_limit; shared, being up to megabytes, by
    // the hooks that read it), and its last 4 KiB.
    std::shared_ptr<const std::string> output = nullptr;
    std::string output_tail = {};
    Duration duration{0};
    std::optional<Duration> retry_after =
        std::nullopt;        // a server's Retry-After, replacing the backoff delay
    bool cancelled = false;  // aborted by cancel

    bool ok() const { return !failure && !cancelled; }
};

// What a hook is told: the outcome that triggered it and the loop's situation.
struct HookContext {
    std::uint64_t loop = 0;  // the iteration the hook belongs to
    std::optional<Instant> scheduled = std::nullopt;
    std::optional<Outcome> outcome = std::nullopt;
    std::uint32_t attempts = 0;  // on_error, on_success, on_recover: attempts the iteration made
    bool cancelled = false;
    bool failed = false;
    // on_recover: the failed iterations in a row before this success, and when the first of
    // them ended.
    std::uint64_t failed_iterations = 0;
    std::optional<Instant> down_since = std::nullopt;
};

// How an iteration stands after an attempt ended, or after a stop dropped its pending retry.
enum class RunStatus { retrying, ok, failed, cancelled, stopped };
std::string_view to_string(RunStatus status);

// The lifecycle events of SPEC 7 and 10.6, in the order a loop meets them.
enum class LifecycleEvent {
    start,
    before_loop,
    iteration_start,
    iteration_end,
    retry,
    misfire,
    error,
    hook_start,
    hook_end,
    stop,
    cancel,
    after_loop,
    finished,
    interval_changed,
    reload,
};
// The name logs use: "iteration_start".
std::string_view to_string(LifecycleEvent event);

// A lifecycle event as SPEC section 7 lists them; the runtime adds the task name and prints it.
struct LifecycleRecord {
    LifecycleEvent event;
    std::uint64_t loop = 0;
    std::optional<HookKind> hook = std::nullopt;
    std::optional<Instant> scheduled = std::nullopt;
    std::optional<Duration> lateness = std::nullopt;
    std::optional<Duration> duration = std::nullopt;
    std::optional<std::uint32_t> attempt = std::nullopt;
    std::optional<std::string> failure_class = std::nullopt;
    std::optional<Duration> delay = std::nullopt;
    std::string message = {};
};

// The slot timer, or the retry timer of one in-flight iteration (or of before_loop).
struct TimerKey {
    enum class Kind { slot, retry, hook_retry } kind;
    std::uint64_t iteration = 0;
    bool operator==(const TimerKey&) const = default;
};

struct ArmTimer {
    TimerKey key;
    TimerDeadline at;
};
struct DisarmTimer {
    TimerKey key;
};
// Cluster mode: a slot this replica won. The fencing token goes with every attempt, so that
// whatever the attempt writes to can refuse a holder that has since lost the slot.
struct SlotClaim {
    Instant slot;
    std::uint64_t fence = 0;
    bool operator==(const SlotClaim&) const = default;
};

// What a claim on a slot came to (Loop::slot_claimed).
enum class ClaimResult {
    won,             // this replica runs it
    taken,           // another replica does
    config_differs,  // this replica's config for the task is not the cluster's: it stays out
    unreachable,     // no answer from the database: nothing runs it now (a misfire)
};

struct StartAttempt {
    std::uint64_t iteration;
    std::uint32_t attempt;  // 1 for the first try
    Instant scheduled;
    Duration lateness{0};     // of the first try, from when its timer was due
    bool on_schedule = true;  // false for `ctl run-now`: `scheduled` is not a slot
    // Cluster mode: an attempt starts only while the claim is still held (checked against the
    // database's clock before each one).
    std::optional<SlotClaim> claim = std::nullopt;
};
// Cluster mode: the slot is due; it runs only if this replica wins its claim, which the runtime
// reports through Loop::slot_claimed.
struct ClaimSlot {
    Instant slot;
};
// Cancel: abort every running attempt of this loop; each still reports attempt_finished.
struct AbortAttempts {};
struct RunHook {
    HookKind kind;
    HookContext context;
};
struct Log {
    LifecycleRecord record;
};
// What history, health pings and metrics record of an iteration: told once per attempt that
// ended (retrying, or the final status) and once when a stop drops a pending retry (stopped).
// When it follows an attempt, the runtime has that attempt's Outcome in hand.
struct RecordRun {
    std::uint64_t iteration;
    std::uint32_t attempts;
    RunStatus status;
    Duration elapsed{0};  // since the iteration started, retries and their waits included
    std::optional<FailureClass> failure = std::nullopt;  // of the last failed attempt
    std::string message = {};
    std::optional<SlotClaim> claim = std::nullopt;  // cluster mode: the claim it ran under
};

using Command = std::variant<ArmTimer, DisarmTimer, StartAttempt, AbortAttempts, RunHook, Log,
                             RecordRun, ClaimSlot>;
using Commands = std::vector<Command>;

}  // namespace tasksrun

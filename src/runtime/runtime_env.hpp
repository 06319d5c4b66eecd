#pragma once
// The seam between the runtime's logic and the world (LevelDB's Env, ninja's CommandRunner):
// both clocks, timers on them, deferred calls, and the launching of actions and health pings.
// The daemon runs on EventLoopEnv (sd-event, posix_spawn, curl); tests/runtime drives task
// runners and task sets with a fake one, a clock they move by hand and actions they finish by
// hand, so reloads, handovers, hooks and clock steps are tested without sleeping.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "actions/action_run.hpp"
#include "actions/pinger.hpp"
#include "config/config.hpp"
#include "event/event_loop.hpp"
#include "loop/events.hpp"
#include "runtime/slot_claims.hpp"
#include "util/instant.hpp"

namespace tasksrun {

struct ResolvedEndpoints;

// What an action or hook is started with.
struct LaunchContext {
    const TaskConfig* task;
    const ResolvedEndpoints* endpoints;  // of the config the task belongs to
    std::uint64_t loop = 0;
    std::optional<Instant> scheduled = std::nullopt;
    std::uint32_t attempt = 1;
    std::optional<HookKind> hook = std::nullopt;  // set when launching a hook
    const HookContext* hook_context = nullptr;
    std::optional<Duration> timeout = std::nullopt;
    // Cluster mode: the claim the attempt runs under, and this replica's name.
    std::optional<SlotClaim> claim = std::nullopt;
    std::string_view replica = {};
};

class RuntimeEnv {
  public:
    virtual ~RuntimeEnv() = default;

    virtual Now now() const = 0;
    // A one-shot timer due at `at` on its own clock; it never fires once the handle is gone.
    // It may fire up to `accuracy` late, so that timers due together share one wake.
    virtual EventSource timer(TimerDeadline at, Duration accuracy, std::function<void()> fire) = 0;
    // Runs `callback` on a later turn of the loop, outside the caller's stack.
    virtual EventSource defer(std::function<void()> callback) = 0;
    // Starts an action or hook. `done` is called exactly once, later, never from inside launch.
    virtual std::unique_ptr<ActionRun> launch(const Action& action, const LaunchContext& context,
                                              std::function<void(Outcome)> done) = 0;
    // Destroys a finished run on a later turn: its own callback may be running now.
    virtual void destroy_later(std::unique_ptr<ActionRun> run) = 0;
    // Sends a health ping; `done` is called once, later, unless cancel_pings drops it first.
    virtual void ping(const ResolvedPing& target, PingKind kind, std::string body,
                      const std::string& task, Pinger::Owner owner, std::function<void()> done) = 0;
    virtual void cancel_pings(Pinger::Owner owner) = 0;
    // Cluster mode: where slots are claimed; null when tasksrun runs on its own.
    virtual SlotClaims* slot_claims() = 0;
};

}  // namespace tasksrun

#pragma once
// A RuntimeEnv for tests: clocks that move only when the test says, timers that fire as they
// pass, and actions that run until the test finishes them. Deferred calls run after each event,
// as the event loop would run them on its next turn.
#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/runtime_env.hpp"

namespace tasksrun::test {

class FakeEnv final : public RuntimeEnv, public EventSource::Owner {
  public:
    // An action or hook the runtime started.
    struct Launch {
        std::string task;
        std::optional<HookKind> hook;  // nullopt: the task's own action
        std::uint64_t loop = 0;
        std::uint32_t attempt = 1;
        std::optional<Instant> scheduled;
        Instant started{};
        HookContext hook_context;  // a copy of what the hook was told
        bool aborted = false;
        bool finished = false;
        std::function<void(Outcome)> done;

        // "action 0.1" (loop 0, attempt 1) or "on_error 0".
        std::string label() const {
            if (hook) return std::string(to_string(*hook)) + " " + std::to_string(loop);
            return "action " + std::to_string(loop) + "." + std::to_string(attempt);
        }
    };
    struct Ping {
        std::string task;
        PingKind kind;
        std::string body;
    };

    explicit FakeEnv(Instant wall) : now_{wall, MonoInstant{std::chrono::hours{1000}}} {}

    // RuntimeEnv
    Now now() const override { return now_; }
    EventSource timer(TimerDeadline at, Duration, std::function<void()> fire) override {
        const std::uintptr_t token = next_token_++;
        pending_.emplace(token, Pending{at, false, std::move(fire)});
        return EventSource(*this, token);
    }
    EventSource defer(std::function<void()> callback) override {
        const std::uintptr_t token = next_token_++;
        pending_.emplace(token, Pending{Instant{}, true, std::move(callback)});
        return EventSource(*this, token);
    }
    std::unique_ptr<ActionRun> launch(const Action&, const LaunchContext& context,
                                      std::function<void(Outcome)> done) override {
        auto launch = std::make_unique<Launch>();
        launch->task = context.task->name;
        launch->hook = context.hook;
        launch->loop = context.loop;
        launch->attempt = context.attempt;
        launch->scheduled = context.scheduled;
        launch->started = now_.wall;
        if (context.hook_context != nullptr) launch->hook_context = *context.hook_context;
        launch->done = std::move(done);
        launches_.push_back(std::move(launch));
        return std::make_unique<Run>(*this, *launches_.back());
    }
    void destroy_later(std::unique_ptr<ActionRun> run) override {
        retired_.push_back(std::move(run));
    }
    void ping(const ResolvedPing&, PingKind kind, std::string body, const std::string& task,
              Pinger::Owner, std::function<void()> done) override {
        pings_.push_back(Ping{task, kind, std::move(body)});
        done();
    }
    void cancel_pings(Pinger::Owner) override {}
    SlotClaims* slot_claims() override { return claims; }

    // Cluster mode in a test: the test's own claims, or null.
    SlotClaims* claims = nullptr;

    // EventSource::Owner
    void release(std::uintptr_t token) noexcept override { pending_.erase(token); }
    void set_io_events(std::uintptr_t, std::uint32_t) override {}
    void disable(std::uintptr_t token) override { pending_.erase(token); }

    // Moves both clocks on by `span`, firing each timer when its time comes, in order.
    void advance(Duration span) {
        const MonoInstant end = now_.mono + span;
        run_deferred();
        for (;;) {
            const auto next = soonest();
            if (!next || next->second > end) break;
            const Duration step = next->second - now_.mono;
            now_.wall += step;
            now_.mono += step;
            fire(next->first);
        }
        now_.wall += end - now_.mono;
        now_.mono = end;
    }
    // The wall clock alone is set by `step` (NTP, a person, a VM resume); wall-clock timers now
    // due fire, as CLOCK_REALTIME timers do.
    void step_wall(Duration step) {
        now_.wall += step;
        advance(Duration::zero());
    }

    // Every action and hook started so far, in order.
    const std::vector<std::unique_ptr<Launch>>& launches() const { return launches_; }
    std::vector<std::string> labels() const {
        std::vector<std::string> out;
        for (const auto& launch : launches_) out.push_back(launch->label());
        return out;
    }
    // The action or hook started last that has not finished.
    Launch& running(std::optional<HookKind> hook = std::nullopt) {
        for (auto it = launches_.rbegin(); it != launches_.rend(); ++it) {
            if (!(*it)->finished && (*it)->hook == hook) return **it;
        }
        FAIL("nothing of that kind is running");
        return *launches_.back();
    }
    std::size_t running_count() const {
        return static_cast<std::size_t>(
            std::ranges::count_if(launches_, [](const auto& launch) { return !launch->finished; }));
    }
    // Ends it with `outcome` (success when left out), as its action would report.
    void finish(Launch& launch, Outcome outcome = {}) {
        REQUIRE_FALSE(launch.finished);
        launch.finished = true;
        launch.done(std::move(outcome));
        run_deferred();
    }
    // Ends the oldest running action or hook of each task successfully, until none runs.
    void finish_all() {
        for (auto& launch : launches_) {
            if (!launch->finished) finish(*launch);
        }
    }
    const std::vector<Ping>& pings() const { return pings_; }

  private:
    struct Pending {
        TimerDeadline at;
        bool deferred;
        std::function<void()> callback;
    };
    class Run final : public ActionRun {
      public:
        Run(FakeEnv& env, Launch& launch) : env_(env), launch_(launch) {}
        // Reports cancelled on a later turn, as a real action does once it has stopped.
        void abort() override {
            launch_.aborted = true;
            aborts_ = env_.defer([this] {
                if (!launch_.finished) {
                    launch_.finished = true;
                    launch_.done(Outcome{.error = "cancelled", .cancelled = true});
                }
            });
        }

      private:
        FakeEnv& env_;
        Launch& launch_;
        EventSource aborts_;
    };

    // The due timer soonest on the monotonic axis, and when that is.
    std::optional<std::pair<std::uintptr_t, MonoInstant>> soonest() const {
        std::optional<std::pair<std::uintptr_t, MonoInstant>> best;
        for (const auto& [token, pending] : pending_) {
            if (pending.deferred) continue;
            MonoInstant due;
            if (const auto* wall = std::get_if<Instant>(&pending.at)) {
                due = now_.mono + std::max(Duration::zero(), *wall - now_.wall);
            } else {
                due = std::max(now_.mono, std::get<MonoInstant>(pending.at));
            }
            if (!best || due < best->second) best = std::pair(token, due);
        }
        return best;
    }
    void fire(std::uintptr_t token) {
        auto node = pending_.extract(token);
        node.mapped().callback();
        run_deferred();
    }
    void run_deferred() {
        for (bool ran = true; ran;) {
            ran = false;
            for (auto& [token, pending] : pending_) {
                if (!pending.deferred) continue;
                fire(token);
                ran = true;
                break;
            }
        }
        retired_.clear();
    }

    Now now_;
    std::uintptr_t next_token_ = 1;
    std::map<std::uintptr_t, Pending> pending_;
    std::vector<std::unique_ptr<Launch>> launches_;
    std::vector<std::unique_ptr<ActionRun>> retired_;
    std::vector<Ping> pings_;
};

}  // namespace tasksrun::test

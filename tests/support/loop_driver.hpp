#pragma once
// Drives a Loop with a fake time and keeps what it asked for: the harness of the Loop tests.
#include <catch2/catch.hpp>

#include "loop/loop.hpp"
#include "support/time.hpp"

namespace tasksrun::test {

using namespace std::chrono_literals;

inline const Instant kT0{date::sys_days{date::year{2025} / 1 / 1}};

inline LoopSettings every(Duration period) {
    LoopSettings settings{.schedule = Schedule(IntervalSchedule(period))};
    settings.retry_on = std::make_shared<const std::vector<FailurePattern>>(
        std::vector<FailurePattern>{{FailureKind::network, std::nullopt},
                                    {FailureKind::timeout, std::nullopt},
                                    {FailureKind::exit_code, 75}});
    return settings;
}

inline Outcome success(Duration took = 1s) {
    return Outcome{.duration = took};
}
inline Outcome failure(FailureKind kind, int exit_code = 0) {
    return Outcome{
        .failure = FailureClass{kind, exit_code}, .error = "it broke", .exit_code = exit_code};
}
inline const Outcome kNetworkError = failure(FailureKind::network);
inline const Outcome kExit3 = failure(FailureKind::exit_code, 3);
inline const Outcome kCancelled = Outcome{.cancelled = true};

// Drives a Loop and keeps what it asked for since the last look. Tests speak wall-clock
// instants; the monotonic clock reads the same until step_wall() moves the wall clock alone.
class Driver {
  public:
    explicit Driver(LoopSettings settings, std::uint64_t seed = 1)
        : loop(std::move(settings), seed) {}

    Loop loop;
    Commands out;

    // Both clocks when the wall clock reads `wall`.
    Now now(Instant wall) {
        last_ = Now{wall, MonoInstant{wall.time_since_epoch() - wall_ahead_}};
        return last_;
    }
    // NTP, a person or a VM resume sets the wall clock by `step`; the monotonic clock goes on.
    void step_wall(Duration step) { wall_ahead_ += step; }
    // A deadline as the wall clock would show it now.
    Instant on_wall(const TimerDeadline& at) const {
        if (const auto* wall = std::get_if<Instant>(&at)) return *wall;
        return Instant{std::get<MonoInstant>(at).time_since_epoch() + wall_ahead_};
    }

    void start(Instant at, std::optional<Instant> last_fired = std::nullopt) {
        REQUIRE(loop.start(now(at), out, last_fired));
    }
    void fire_slot(Instant at) { loop.timer_fired({TimerKey::Kind::slot, 0}, now(at), out); }
    void fire_retry(std::uint64_t iteration, Instant at) {
        loop.timer_fired({TimerKey::Kind::retry, iteration}, now(at), out);
    }
    void finish(std::uint64_t iteration, const Outcome& outcome, Instant at) {
        loop.attempt_finished(iteration, outcome, now(at), out);
    }
    void hook_finished(HookKind kind, const Outcome& outcome, Instant at) {
        loop.hook_finished(kind, outcome, now(at), out);
    }
    void stop(Instant at) { loop.stop(now(at), out); }
    void cancel(Instant at) { loop.cancel(now(at), out); }
    void restart(Instant at) { loop.restart(now(at), out); }
    void change_schedule(Schedule schedule, Instant at) {
        loop.change_schedule(std::move(schedule), now(at), out);
    }
    std::optional<std::string> run_now(Instant at) { return loop.run_now(now(at), out); }
    // As of the last time the driver told the loop.
    std::optional<Instant> next_iteration() const { return loop.next_iteration(last_); }

    // The lifecycle events logged since the last call, and forget them.
    std::vector<std::string> events() {
        std::vector<std::string> names;
        for (const Command& c : out) {
            if (const auto* l = std::get_if<Log>(&c))
                names.emplace_back(to_string(l->record.event));
        }
        return names;
    }
    std::vector<StartAttempt> starts() const {
        std::vector<StartAttempt> list;
        for (const Command& c : out) {
            if (const auto* s = std::get_if<StartAttempt>(&c)) list.push_back(*s);
        }
        return list;
    }
    std::vector<RecordRun> records() const {
        std::vector<RecordRun> list;
        for (const Command& c : out) {
            if (const auto* r = std::get_if<RecordRun>(&c)) list.push_back(*r);
        }
        return list;
    }
    // The context of the last hook of this kind asked for; fails the test if there is none.
    HookContext hook_context(HookKind kind) const {
        for (auto it = out.rbegin(); it != out.rend(); ++it) {
            if (const auto* h = std::get_if<RunHook>(&*it); h && h->kind == kind) return h->context;
        }
        FAIL("no " << to_string(kind) << " hook");
        return {};
    }
    std::vector<HookKind> hooks() const {
        std::vector<HookKind> list;
        for (const Command& c : out) {
            if (const auto* h = std::get_if<RunHook>(&c)) list.push_back(h->kind);
        }
        return list;
    }
    std::optional<Instant> armed(TimerKey key) const {
        std::optional<Instant> last;
        for (const Command& c : out) {
            if (const auto* a = std::get_if<ArmTimer>(&c); a && a->key == key)
                last = on_wall(a->at);
        }
        return last;
    }
    std::optional<Instant> armed_slot() const { return armed({TimerKey::Kind::slot, 0}); }
    const LifecycleRecord* last_record(std::string_view event) const {
        const LifecycleRecord* found = nullptr;
        for (const Command& c : out) {
            if (const auto* l = std::get_if<Log>(&c); l && to_string(l->record.event) == event)
                found = &l->record;
        }
        return found;
    }
    bool has(const auto& command_type_probe) const {
        for (const Command& c : out) {
            if (std::holds_alternative<std::decay_t<decltype(command_type_probe)>>(c)) return true;
        }
        return false;
    }
    void clear() { out.clear(); }

  private:
    Duration wall_ahead_{0};  // how far the wall clock is ahead of the monotonic one
    Now last_{};
};

}  // namespace tasksrun::test

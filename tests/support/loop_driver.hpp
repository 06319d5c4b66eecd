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

// Drives a Loop and keeps what it asked for since the last look.
class Driver {
  public:
    explicit Driver(LoopSettings settings, std::uint64_t seed = 1)
        : loop(std::move(settings), seed) {}

    Loop loop;
    Commands out;

    void start(Instant now, std::optional<Instant> last_fired = std::nullopt) {
        REQUIRE(loop.start(now, out, last_fired));
    }
    void fire_slot(Instant now) { loop.timer_fired({TimerKey::Kind::slot, 0}, now, out); }
    void fire_retry(std::uint64_t iteration, Instant now) {
        loop.timer_fired({TimerKey::Kind::retry, iteration}, now, out);
    }
    void finish(std::uint64_t iteration, const Outcome& outcome, Instant now) {
        loop.attempt_finished(iteration, outcome, now, out);
    }

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
            if (const auto* a = std::get_if<ArmTimer>(&c); a && a->key == key) last = a->at;
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
};

}  // namespace tasksrun::test

#pragma once
// The daemon as /metrics and the status page see it at one moment: plain values, copied out of
// the runtime by the runtime, so that the writers here are pure. Strings are views into the
// loaded config: a snapshot is used within the event-loop callback that took it, never kept.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/instant.hpp"

namespace tasksrun {

// How a task's most recent iteration ended (`ctl status`'s "last").
struct LastOutcome {
    std::uint64_t loop = 0;
    std::string_view outcome = {};  // ok, failed, cancelled, stopped, retrying
    std::string_view failure_class = {};
    Instant ended{};
    Duration duration{0};
};

struct TaskSnapshot {
    std::string_view name = {};
    std::string_view state = {};  // the Loop's state: idle, waiting, running, backoff, ...
    std::string schedule = {};    // for people: "every 30s", "cron \"0 9 * * *\" (UTC)"; or empty
    std::optional<Instant> next_run = std::nullopt;
    // The time between slots: an interval's period, or for time and cron the gap between the
    // next slot and the one after it. nullopt when nothing is scheduled.
    std::optional<Duration> interval = std::nullopt;
    unsigned running = 0;  // iterations with an attempt running now
    bool failed = false;   // the Loop's `failed` property
    std::optional<LastOutcome> last = std::nullopt;
};

struct DaemonSnapshot {
    Instant now{};
    std::string_view host = {};            // the machine's name, for people
    std::vector<TaskSnapshot> tasks = {};  // the enabled tasks of the loaded config, in file order
    std::vector<std::string_view> webhooks = {};  // the names of the config's [webhooks]
    bool stopping = false;  // a stop signal arrived: the daemon is shutting down
    // Cluster mode only: this replica's name, and whether the database answers (nothing fires
    // while it does not).
    struct Cluster {
        std::string_view replica = {};
        bool connected = false;
    };
    std::optional<Cluster> cluster = std::nullopt;
};

}  // namespace tasksrun

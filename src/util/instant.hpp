#pragma once
// The time vocabulary shared by every layer: two clocks, never mixed. Pure code receives their
// readings as arguments; only the event layer reads them.
#include <chrono>
#include <variant>

namespace tasksrun {

// Microseconds: fine enough for "250ms" intervals and float seconds, and int64 covers
// hundreds of thousands of years, so no schedule arithmetic can overflow in practice.
using Duration = std::chrono::microseconds;

// The wall clock (CLOCK_REALTIME): what times of day, cron and RFC 3339 speak. It may step
// (NTP, a person, a VM resume).
using Instant = std::chrono::time_point<std::chrono::system_clock, Duration>;
using SysSeconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

// The monotonic clock (CLOCK_BOOTTIME): never steps, and counts time suspended, so an interval
// of an hour is an hour of real time on a laptop too. Interval grids, retries, jitter and
// timeouts live on it. It has no now() here: pure code cannot read it.
struct BootClock {
    using duration = Duration;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<BootClock, Duration>;
    static constexpr bool is_steady = true;
};
using MonoInstant = BootClock::time_point;

// When a timer is due, on its own clock: a wall-clock instant (time and cron slots) or a
// monotonic one (interval slots, retries). The event loop arms it absolute on that clock.
using TimerDeadline = std::variant<Instant, MonoInstant>;

// Both clocks, read at the same moment.
struct Now {
    Instant wall;
    MonoInstant mono;
};

}  // namespace tasksrun

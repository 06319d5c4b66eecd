#pragma once
// The one place that reads the clocks; pure layers take the time as an argument.
#include <time.h>

#include <chrono>

#include "util/instant.hpp"

namespace tasksrun {

inline Instant wall_clock_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

inline MonoInstant boot_clock_now() {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return MonoInstant{std::chrono::seconds{ts.tv_sec} +
                       std::chrono::duration_cast<Duration>(std::chrono::nanoseconds{ts.tv_nsec})};
}

inline Now clocks_now() {
    return Now{wall_clock_now(), boot_clock_now()};
}

}  // namespace tasksrun

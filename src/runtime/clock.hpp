#pragma once
// The one place that reads the wall clock; pure layers take the time as an argument.
#include <chrono>

#include "schedule/instant.hpp"

namespace tasksrun {

inline Instant wall_clock_now() {
    return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

}  // namespace tasksrun

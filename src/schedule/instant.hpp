#pragma once
// The time vocabulary shared by every layer. Pure code receives Instants as arguments;
// only runtime/ reads a clock.
#include <chrono>

namespace tasksrun {

// Microseconds: fine enough for "250ms" intervals and float seconds, and int64 covers
// hundreds of thousands of years, so no schedule arithmetic can overflow in practice.
using Duration = std::chrono::microseconds;
using Instant = std::chrono::time_point<std::chrono::system_clock, Duration>;
using SysSeconds = std::chrono::time_point<std::chrono::system_clock, std::chrono::seconds>;

}  // namespace tasksrun

#include "loop/backoff.hpp"

#include <algorithm>

namespace tasksrun {

Duration Backoff::next_cap() const {
    return base_ * (std::int64_t{1} << std::min(exponent_ + 1, kMaxExponent));
}

Duration Backoff::next_delay(std::minstd_rand& random) {
    const Duration cap = next_cap();
    exponent_ = std::min(exponent_ + 1, kMaxExponent);
    std::uniform_int_distribution<Duration::rep> pick(0, cap.count());
    return Duration{pick(random)};
}

}  // namespace tasksrun

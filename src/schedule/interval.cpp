#include "schedule/interval.hpp"

#include <algorithm>

namespace tasksrun {

Instant IntervalSchedule::next_after(Instant t, Instant anchor) const {
    if (t < anchor) return anchor;
    if (period_ == Duration::zero()) return std::max(t, anchor);
    const auto periods_elapsed = (t - anchor) / period_;
    return anchor + (periods_elapsed + 1) * period_;
}

}  // namespace tasksrun

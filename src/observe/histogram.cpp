#include "observe/histogram.hpp"

#include <algorithm>

namespace tasksrun {

double to_seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

void Histogram::observe(Duration value) {
    const double seconds = to_seconds(value);
    const auto bucket = std::ranges::lower_bound(*bounds_, seconds) - bounds_->begin();
    ++counts_[static_cast<std::size_t>(bucket)];
    ++count_;
    sum_ += seconds;
}

}  // namespace tasksrun

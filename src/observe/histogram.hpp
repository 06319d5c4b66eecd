#pragma once
// A Prometheus histogram over fixed bucket bounds, in seconds: a count per bucket (not
// cumulative: the text writer adds them up), the sum and the count of observations.
#include <array>
#include <cstddef>
#include <cstdint>

#include "util/instant.hpp"

namespace tasksrun {

// Ten bounds: every task has two histograms, and each bound is a series Prometheus keeps per
// task; at 10,000 tasks, four more bounds would be 80,000 more series.
inline constexpr std::size_t kHistogramBounds = 10;
using HistogramBounds = std::array<double, kHistogramBounds>;

// From a webhook's round trip to an hour-long backup.
inline constexpr HistogramBounds kDurationBounds = {0.05, 0.25, 1, 2.5, 10, 30, 60, 300, 900, 3600};
// From a timer's own wake-up (about a millisecond) to a slot run late under misfire = "run-once".
inline constexpr HistogramBounds kLatenessBounds = {0.001, 0.005, 0.025, 0.1, 0.5,
                                                    1,     5,     30,    300, 3600};

class Histogram {
  public:
    explicit Histogram(const HistogramBounds& bounds) : bounds_(&bounds) {}

    // An observation lands in the first bucket whose bound is >= it (Prometheus' `le`), or in
    // the +Inf bucket past the last bound.
    void observe(Duration value);

    const HistogramBounds& bounds() const { return *bounds_; }
    // Observations in bucket `i` alone; i == kHistogramBounds is the +Inf bucket.
    std::uint64_t in_bucket(std::size_t i) const { return counts_[i]; }
    std::uint64_t count() const { return count_; }
    double sum_seconds() const { return sum_; }

  private:
    const HistogramBounds* bounds_;
    std::array<std::uint64_t, kHistogramBounds + 1> counts_{};
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

// Seconds as a double, for values Prometheus reads in seconds.
double to_seconds(Duration d);

}  // namespace tasksrun

// Histogram buckets: Prometheus' `le` is inclusive, and what exceeds every bound is +Inf's.
#include "observe/histogram.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("histogram: an observation lands in the first bucket whose bound holds it", "[observe]") {
    Histogram histogram(kDurationBounds);
    histogram.observe(50ms);     // exactly the first bound (0.05): le is inclusive
    histogram.observe(50001us);  // just past it: the next bucket
    histogram.observe(1s);
    histogram.observe(2h);  // past 3600: +Inf
    histogram.observe(0us);
    CHECK(histogram.in_bucket(0) == 2);
    CHECK(histogram.in_bucket(1) == 1);
    CHECK(histogram.in_bucket(2) == 1);  // bound 1
    CHECK(histogram.in_bucket(kHistogramBounds) == 1);
    CHECK(histogram.count() == 5);
    CHECK(histogram.sum_seconds() == Approx(0.05 + 0.050001 + 1 + 7200));
}

TEST_CASE("histogram: the bounds are increasing", "[observe]") {
    for (const HistogramBounds* bounds : {&kDurationBounds, &kLatenessBounds}) {
        CHECK(std::ranges::is_sorted(*bounds));
        CHECK(std::ranges::adjacent_find(*bounds) == bounds->end());
    }
}

}  // namespace
}  // namespace tasksrun

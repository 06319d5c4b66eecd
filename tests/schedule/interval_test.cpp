#include "schedule/interval.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

TEST_CASE("interval slots stay on the grid anchored at the first slot", "[schedule][interval]") {
    const IntervalSchedule every_10s(10s);
    const Instant t0 = at("2025-06-01T00:00:00Z");
    CHECK(every_10s.next_after(t0 - 1s, t0) == t0);
    CHECK(every_10s.next_after(t0, t0) == t0 + 10s);
    // A run that ends late does not move the grid: the next slot is still a multiple of 10 s.
    CHECK(every_10s.next_after(t0 + 23s + 400ms, t0) == t0 + 30s);
    CHECK(every_10s.next_after(t0 + 30s, t0) == t0 + 40s);
    // Far ahead (a year of 10 s slots) without drift.
    CHECK(every_10s.next_after(t0 + 8760h + 5s, t0) == t0 + 8760h + 10s);
}

TEST_CASE("sub-second and fractional intervals", "[schedule][interval]") {
    const IntervalSchedule every_250ms(250ms);
    const Instant t0 = at("2025-06-01T00:00:00Z");
    CHECK(every_250ms.next_after(t0 + 251ms, t0) == t0 + 500ms);
}

TEST_CASE("a zero interval means as soon as possible", "[schedule][interval]") {
    const IntervalSchedule back_to_back(0s);
    const Instant t0 = at("2025-06-01T00:00:00Z");
    CHECK(back_to_back.next_after(t0 + 5s, t0) == t0 + 5s);
    CHECK(back_to_back.next_after(t0 - 5s, t0) == t0);
}

}  // namespace
}  // namespace tasksrun

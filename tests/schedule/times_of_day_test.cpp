#include "schedule/times_of_day.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

const date::local_days kDay{date::year{2025} / 6 / 1};

TEST_CASE("times of day are sorted and duplicates removed", "[schedule]") {
    const TimesOfDay times({15h, 3h, 15h, 3h + 0min});
    CHECK(times.times() == std::vector<std::chrono::seconds>{3h, 15h});
}

TEST_CASE("times of day: next match today, else tomorrow's first", "[schedule]") {
    const TimesOfDay times({3h, 15h});
    CHECK(times.next_match(kDay + 1h, kDay + 48h) == kDay + 3h);
    CHECK(times.next_match(kDay + 3h, kDay + 48h) == kDay + 3h);
    CHECK(times.next_match(kDay + 3h + 1s, kDay + 48h) == kDay + 15h);
    CHECK(times.next_match(kDay + 15h + 1s, kDay + 48h) == kDay + 24h + 3h);
    CHECK_FALSE(times.next_match(kDay + 15h + 1s, kDay + 27h).has_value());
    CHECK(times.matches(kDay + 15h));
    CHECK_FALSE(times.matches(kDay + 15h + 1s));
}

}  // namespace
}  // namespace tasksrun

#include "util/suggest.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

constexpr std::string_view kKeys[] = {"seconds", "minutes", "hours", "timezone",
                                      "time",    "cron",    "run"};

TEST_CASE("did you mean: plausible typos only", "[util][suggest]") {
    CHECK(closest_match("secods", kKeys) == "seconds");
    CHECK(closest_match("timzone", kKeys) == "timezone");
    CHECK(closest_match("tiemzone", kKeys) == "timezone");  // transposition
    CHECK(closest_match("Hours", kKeys) == "hours");
    CHECK(closest_match("crn", kKeys) == "cron");
    CHECK_FALSE(closest_match("banana", kKeys).has_value());
    CHECK_FALSE(closest_match("xyz", kKeys).has_value());
    CHECK(did_you_mean(std::string("cron")) == "; did you mean \"cron\"?");
    CHECK(did_you_mean(std::nullopt).empty());
}

}  // namespace
}  // namespace tasksrun

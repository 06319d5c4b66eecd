#include "util/duration.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("durations parse as people write them", "[util][duration]") {
    CHECK(parse_duration("90s") == Duration{90s});
    CHECK(parse_duration("5m") == Duration{5min});
    CHECK(parse_duration("1h30m") == Duration{90min});
    CHECK(parse_duration("250ms") == Duration{250ms});
    CHECK(parse_duration("1.5h") == Duration{90min});
    CHECK(parse_duration("2d") == Duration{48h});
    CHECK(parse_duration("10us") == Duration{10us});
    CHECK(parse_duration("0s") == Duration{0s});
    CHECK(duration_from_seconds(0.25) == Duration{250ms});
    CHECK(duration_from_seconds(3600) == Duration{1h});
}

TEST_CASE("bad durations say what is wrong", "[util][duration]") {
    CHECK(parse_duration("").error() == "empty duration (write e.g. \"30s\", \"5m\", \"1h30m\")");
    CHECK(parse_duration("-5s").error() == "duration \"-5s\" must not be negative");
    CHECK(parse_duration("30").error() ==
          "duration \"30\" needs a unit after each number (us, ms, s, m, h, d)");
    CHECK(parse_duration("5x").error() ==
          "duration \"5x\" needs a unit after each number (us, ms, s, m, h, d)");
    CHECK(parse_duration("abc").error() ==
          "duration \"abc\" is not a number followed by a unit (us, ms, s, m, h, d)");
    CHECK(parse_duration("1h 30m").error() ==
          "duration \"1h 30m\" is not a number followed by a unit (us, ms, s, m, h, d)");
    CHECK(parse_duration("200y").has_value() == false);
    CHECK(duration_from_seconds(-1).error() == "duration must not be negative");
    CHECK(duration_from_seconds(1e12).error() == "duration is longer than 100 years");
}

TEST_CASE("durations format in their shortest exact spelling", "[util][duration]") {
    CHECK(format_duration(Duration{90s}) == "1m30s");
    CHECK(format_duration(Duration{250ms}) == "250ms");
    CHECK(format_duration(Duration{0s}) == "0s");
    CHECK(format_duration(Duration{36h}) == "1d12h");
    CHECK(format_duration(Duration{1500us}) == "1ms500us");
}

}  // namespace
}  // namespace tasksrun

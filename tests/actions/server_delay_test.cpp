#include "actions/server_delay.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("server delays: positive finite seconds, rounded up to microseconds",
          "[actions][server_delay]") {
    CHECK(server_delay(1.337)->delay == Duration{1'337'000});
    CHECK(server_delay(2)->delay == Duration{2s});
    CHECK(server_delay(1e-9)->delay == Duration{1});
    CHECK_FALSE(server_delay(2)->capped);
}

TEST_CASE("server delays: negative, zero, NaN and infinite are no delay",
          "[actions][server_delay]") {
    constexpr double kInfinity = std::numeric_limits<double>::infinity();
    for (const double seconds :
         {0.0, -0.0, -1.0, -1000.0, -1e300, -kInfinity, kInfinity,
          std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::denorm_min()}) {
        INFO(seconds);
        CHECK_FALSE(server_delay(seconds).has_value());
    }
}

TEST_CASE("server delays: over a day is a day, and says so", "[actions][server_delay]") {
    for (const double seconds : {86400.000001, 1e6, 1e300, std::numeric_limits<double>::max()}) {
        INFO(seconds);
        const auto delay = server_delay(seconds);
        REQUIRE(delay.has_value());
        CHECK(delay->delay == kMaxServerDelay);
        CHECK(delay->capped);
    }
    const auto day = server_delay(86400);
    CHECK(day->delay == 24h);
    CHECK_FALSE(day->capped);
}

TEST_CASE("server delays: header text is decimal seconds or nothing", "[actions][server_delay]") {
    CHECK(parse_server_delay("2")->delay == Duration{2s});
    CHECK(parse_server_delay(" 0.25\t")->delay == Duration{250ms});
    for (const std::string text :
         {"", " ", "0", "0.0", "-1", "-1000", "nan", "NaN", "inf", "-inf", "infinity", "1e3",
          "soon", "1s", "2 3", "+5", "0x10", "Wed, 21 Oct 2015 07:28:00 GMT", "1.5.2"}) {
        INFO('"' + text + '"');
        CHECK_FALSE(parse_server_delay(text).has_value());
    }
    const auto huge = parse_server_delay(std::string(400, '9'));
    REQUIRE(huge.has_value());
    CHECK(huge->capped);
    CHECK(huge->delay == kMaxServerDelay);
    CHECK_FALSE(parse_server_delay("-" + std::string(400, '9')).has_value());
    CHECK(parse_server_delay("90000")->capped);
}

}  // namespace
}  // namespace tasksrun

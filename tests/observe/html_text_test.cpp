// Text for the status page: escaping, times and durations for people.
#include "observe/html_text.hpp"

#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("html text: the five special characters are escaped, the rest kept", "[observe]") {
    std::string out;
    append_html_escaped(out, "a<b>&\"c\"'d' ü");
    CHECK(out == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39; ü");
}

TEST_CASE("html text: hours and minutes of the UTC day", "[observe]") {
    CHECK(utc_hours_minutes(test::at("2025-03-02T00:00:00Z")) == "00:00");
    CHECK(utc_hours_minutes(test::at("2025-03-02T09:05:59.9Z")) == "09:05");
    CHECK(utc_hours_minutes(test::at("2025-03-02T23:59:00-05:00")) == "04:59");
}

TEST_CASE("html text: durations in at most two units", "[observe]") {
    CHECK(approximate_duration(0us) == "0ms");
    CHECK(approximate_duration(250ms) == "250ms");
    CHECK(approximate_duration(4200ms) == "4.2s");
    CHECK(approximate_duration(60s) == "1m");
    CHECK(approximate_duration(192s) == "3m12s");
    CHECK(approximate_duration(2h + 5min + 59s) == "2h5m");
    CHECK(approximate_duration(3h) == "3h");
    CHECK(approximate_duration(76h) == "3d4h");
    CHECK(approximate_duration(-90s) == "-1m30s");
}

}  // namespace
}  // namespace tasksrun

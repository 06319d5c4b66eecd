#include "schedule/tzif.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>

#include "support/time.hpp"

namespace tasksrun {
namespace {

TEST_CASE("tzif: the footer and last transition of a system zone file", "[schedule][zone]") {
    // Debian's files list transitions up to 2037, then state the rule.
    const auto new_york = read_tzif_tail("/usr/share/zoneinfo/America/New_York");
    REQUIRE(new_york.has_value());
    CHECK(new_york->footer == "EST5EDT,M3.2.0,M11.1.0");
    REQUIRE(new_york->last_transition.has_value());
    CHECK(Instant{*new_york->last_transition} == test::at("2037-11-01T06:00:00Z"));

    const auto kolkata = read_tzif_tail("/usr/share/zoneinfo/Asia/Kolkata");
    REQUIRE(kolkata.has_value());
    CHECK(kolkata->footer == "IST-5:30");

    const auto utc = read_tzif_tail("/usr/share/zoneinfo/Etc/UTC");
    REQUIRE(utc.has_value());
    CHECK(utc->footer == "UTC0");
    CHECK_FALSE(utc->last_transition.has_value());
}

TEST_CASE("tzif: what is not a whole TZif file is an error", "[schedule][zone]") {
    CHECK(parse_tzif_tail("").error() == "not a TZif file");
    CHECK(parse_tzif_tail("# tzdata text, not compiled").error() == "not a TZif file");
    const auto missing = read_tzif_tail("/nonexistent/zoneinfo/Mars/Olympus");
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.error() == "cannot read /nonexistent/zoneinfo/Mars/Olympus");

    const auto whole = read_tzif_tail("/usr/share/zoneinfo/Europe/Berlin");
    REQUIRE(whole.has_value());
    // The same file without its last bytes: the footer is cut off.
    std::string bytes;
    {
        std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    REQUIRE(bytes.size() > 100);
    CHECK(parse_tzif_tail(std::string_view(bytes).substr(0, bytes.size() - 40)).error() ==
          "TZif file cut short");
    CHECK(parse_tzif_tail(std::string_view(bytes).substr(0, bytes.size() - 1)).error() ==
          "TZif footer not terminated");
}

}  // namespace
}  // namespace tasksrun

#include "util/rfc3339.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("RFC 3339: seconds always, fractions only when non-zero", "[util][rfc3339]") {
    const Instant t = *parse_rfc3339("2025-03-09T07:30:00Z");
    CHECK(format_utc(t) == "2025-03-09T07:30:00Z");
    CHECK(format_local(t, -4h) == "2025-03-09T03:30:00-04:00");
    CHECK(format_local(t, 5h + 30min) == "2025-03-09T13:00:00+05:30");
    CHECK(format_utc(t + 250ms) == "2025-03-09T07:30:00.25Z");
    CHECK(format_utc(t + 1us) == "2025-03-09T07:30:00.000001Z");
}

TEST_CASE("RFC 3339 parsing accepts offsets, fractions and lower case", "[util][rfc3339]") {
    const Instant t = *parse_rfc3339("2025-03-09T07:30:00Z");
    CHECK(parse_rfc3339("2025-03-09T03:30:00-04:00") == t);
    CHECK(parse_rfc3339("2025-03-09t07:30:00z") == t);
    CHECK(parse_rfc3339("2025-03-09 07:30:00Z") == t);
    CHECK(parse_rfc3339("2025-03-09T07:30:00.5Z") == t + 500ms);
    CHECK(parse_rfc3339("2025-03-09T07:30:00.123456+00:00") == t + 123456us);
}

TEST_CASE("RFC 3339 parsing rejects what it cannot read", "[util][rfc3339]") {
    for (const char* bad : {"2025-03-09", "2025-03-09T07:30:00", "yesterday", "2025-03-09T07:30Z",
                            "2025-03-09T07:30:00Zjunk", ""}) {
        INFO(bad);
        CHECK_FALSE(parse_rfc3339(bad).has_value());
    }
    CHECK(parse_rfc3339("noon").error() ==
          "\"noon\" is not an RFC 3339 timestamp like 2025-03-09T07:30:00Z");
}

}  // namespace
}  // namespace tasksrun

// Zone's segments against glibc, which applies each TZif file's POSIX footer after the file's
// last transition: every offset from 1970 to 2100 must agree, and the years after 2037 must have
// their DST transitions (the tz library alone has none).
#include "schedule/zone.hpp"

#include <date/tz.h>

#include <catch2/catch.hpp>

#include "support/glibc_zone.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

SysSeconds sys(const std::string& rfc3339) {
    return std::chrono::floor<std::chrono::seconds>(at(rfc3339));
}

struct ZoneCase {
    const char* name;
    const char* why;
    std::size_t min_transitions_after_2037;
};

TEST_CASE("zone: every offset from 1970 to 2100 agrees with glibc", "[schedule][zone]") {
    const ZoneCase cases[] = {
        {"America/New_York", "north, EST5EDT,M3.2.0,M11.1.0", 124},
        {"Europe/Berlin", "north, CET-1CEST,M3.5.0,M10.5.0/3", 124},
        {"Australia/Sydney", "south: DST spans the new year", 124},
        {"Pacific/Auckland", "south, NZST-12NZDT,M9.5.0,M4.1.0/3", 124},
        {"America/Santiago", "south, transitions at 24:00 on a Saturday", 124},
        {"Europe/Dublin", "negative DST: IST-1GMT0,M10.5.0,M3.5.0/1", 124},
        {"America/Nuuk", "a transition time of -1 hour", 124},
        {"Asia/Jerusalem", "a transition time of 26 hours", 124},
        {"Asia/Gaza", "a transition time of 50 hours", 124},
        {"Africa/Cairo", "Friday at 00:00 and Thursday at 24:00", 124},
        {"Pacific/Chatham", "+12:45, transitions at 02:45 and 03:45", 124},
        {"Australia/Lord_Howe", "a 30-minute DST", 124},
        {"Antarctica/Troll", "a 2-hour DST", 124},
        {"America/Havana", "transitions at midnight", 124},
        {"Pacific/Easter", "south, transitions at 22:00 on a Saturday", 124},
        {"America/St_Johns", "-03:30", 124},
        {"Atlantic/Azores", "DST to +00 at 00:00", 124},
        {"Africa/Casablanca", "transitions listed to 2087, then a fixed +01", 100},
        {"Asia/Kolkata", "no DST", 0},
        {"Asia/Tehran", "DST abolished in 2022", 0},
        {"Pacific/Apia", "DST abolished in 2021", 0},
    };
    const SysSeconds from = sys("1970-01-01T00:00:00Z");
    const SysSeconds year_2038 = sys("2038-01-01T00:00:00Z");
    const SysSeconds until = sys("2101-01-01T00:00:00Z");
    for (const ZoneCase& c : cases) {
        INFO(c.name << " (" << c.why << ")");
        const Zone zone = test::zone(c.name);
        const test::GlibcZone glibc(std::string(":") + c.name);
        const auto segment_at = [&](SysSeconds t) { return zone.segment_at(t); };
        const auto whole = test::compare_with_glibc(segment_at, glibc, from, until);
        CHECK(whole.first_disagreement.value_or("") == "");
        const auto future = test::compare_with_glibc(segment_at, glibc, year_2038, until);
        // Two transitions a year for 63 years (give or take the ends of the range), or none.
        CHECK(future.transitions >= c.min_transitions_after_2037);
        if (c.min_transitions_after_2037 == 0) CHECK(future.transitions == 0);
    }
}

TEST_CASE("zone: every zone in the system tzdb agrees with glibc from 1970 to 2100",
          "[schedule][zone]") {
    const SysSeconds from = sys("1970-01-01T00:00:00Z");
    const SysSeconds until = sys("2101-01-01T00:00:00Z");
    std::size_t zones = 0;
    std::size_t transitions = 0;
    for (const date::time_zone& tz : date::get_tzdb().zones) {
        const std::string name(tz.name());
        INFO(name);
        const Zone zone = test::zone(name);
        const test::GlibcZone glibc(":" + name);
        // Weekly samples between transitions: no DST in the tzdb lasts less than a week.
        const auto result = test::compare_with_glibc(
            [&](SysSeconds t) { return zone.segment_at(t); }, glibc, from, until, date::weeks{1});
        CHECK(result.first_disagreement.value_or("") == "");
        ++zones;
        transitions += result.transitions;
    }
    // The tzdb has several hundred zones, and dozens of them keep DST.
    CHECK(zones > 300);
    CHECK(transitions > 50 * 2 * 130);
}

TEST_CASE("zone: past the precomputed years the rule itself answers, seamlessly",
          "[schedule][zone]") {
    for (const char* name : {"America/New_York", "Australia/Sydney", "Europe/Dublin"}) {
        INFO(name);
        const Zone zone = test::zone(name);
        const test::GlibcZone glibc(std::string(":") + name);
        const auto result =
            test::compare_with_glibc([&](SysSeconds t) { return zone.segment_at(t); }, glibc,
                                     sys("2190-01-01T00:00:00Z"), sys("2215-01-01T00:00:00Z"));
        CHECK(result.first_disagreement.value_or("") == "");
        CHECK(result.transitions >= 48);
    }
}

// The transitions the footer rule states, worked out by hand from its text.
TEST_CASE("zone: the footer rule gives New York and Dublin their DST after 2037",
          "[schedule][zone]") {
    const Zone new_york = test::zone("America/New_York");
    // EST5EDT,M3.2.0,M11.1.0: 2040-03-11 (2nd Sunday) 02:00 EST, 2040-11-04 (1st Sunday) 02:00 EDT.
    const ZoneSegment summer_2040 = new_york.segment_at(sys("2040-07-01T00:00:00Z"));
    CHECK(summer_2040.offset == -4h);
    CHECK(summer_2040.begin == sys("2040-03-11T07:00:00Z"));
    CHECK(summer_2040.end == sys("2040-11-04T06:00:00Z"));
    CHECK(new_york.offset_at(sys("2040-12-01T00:00:00Z")) == -5h);

    const Zone dublin = test::zone("Europe/Dublin");
    // IST-1GMT0,M10.5.0,M3.5.0/1: standard time is IST (+1, summer); "DST" is GMT (+0, winter),
    // from the last Sunday of October 02:00 IST to the last Sunday of March 01:00 GMT.
    const ZoneSegment winter_2050 = dublin.segment_at(sys("2050-01-15T00:00:00Z"));
    CHECK(winter_2050.offset == 0s);
    CHECK(winter_2050.begin == sys("2049-10-31T01:00:00Z"));
    CHECK(winter_2050.end == sys("2050-03-27T01:00:00Z"));
    CHECK(dublin.offset_at(sys("2050-07-15T00:00:00Z")) == 1h);
}

TEST_CASE("zone: UTC is one segment, and unknown names suggest a known one", "[schedule][zone]") {
    const ZoneSegment utc = Zone::utc().segment_at(sys("2040-07-01T00:00:00Z"));
    CHECK(utc.begin == kFarPast);
    CHECK(utc.end == kFarFuture);
    CHECK(utc.offset == 0s);
    CHECK(test::zone("Etc/UTC").name() == "UTC");
    const auto unknown = Zone::locate("Europe/Berln");
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error() == "unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?");
}

TEST_CASE("zone: one set of rules per zone, shared by every Zone that names it",
          "[schedule][zone]") {
    const Zone a = test::zone("Europe/Berlin");
    const Zone b = test::zone("Europe/Berlin");
    CHECK(&a.name() == &b.name());
    CHECK(sizeof(Zone) == sizeof(void*));
}

}  // namespace
}  // namespace tasksrun

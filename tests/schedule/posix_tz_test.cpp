// PosixTzRule against glibc given the same TZ string: every footer the system tzdb uses, and the
// rule forms RFC 8536 allows that today's tzdb does not happen to use.
#include "schedule/posix_tz.hpp"

#include <date/tz.h>

#include <catch2/catch.hpp>
#include <set>

#include "schedule/tzif.hpp"
#include "support/glibc_zone.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

SysSeconds sys(const std::string& rfc3339) {
    return std::chrono::floor<std::chrono::seconds>(test::at(rfc3339));
}

PosixTzRule rule(const std::string& text) {
    auto parsed = PosixTzRule::parse(text);
    INFO(text);
    REQUIRE(parsed.has_value());
    return *parsed;
}

test::SegmentComparison compare(const std::string& text, const char* from, const char* until) {
    const PosixTzRule parsed = rule(text);
    const test::GlibcZone glibc(text);
    return test::compare_with_glibc([&](SysSeconds t) { return parsed.segment_at(t); }, glibc,
                                    sys(from), sys(until));
}

TEST_CASE("posix tz: every footer in the system tzdb agrees with glibc, 1970-2100",
          "[schedule][zone]") {
    std::set<std::string> footers;
    for (const date::time_zone& tz : date::get_tzdb().zones) {
        auto tail = read_tzif_tail("/usr/share/zoneinfo/" + std::string(tz.name()));
        if (tail && !tail->footer.empty()) footers.insert(tail->footer);
    }
    // Dozens of distinct rules: the negative, the over-24-hour and the quarter-hour ones among
    // them.
    REQUIRE(footers.size() > 50);
    CHECK(footers.contains("<-02>2<-01>,M3.5.0/-1,M10.5.0/0"));
    CHECK(footers.contains("IST-1GMT0,M10.5.0,M3.5.0/1"));
    CHECK(footers.contains("IST-2IDT,M3.4.4/26,M10.5.0"));
    for (const std::string& footer : footers) {
        INFO(footer);
        const auto result = compare(footer, "1970-01-01T00:00:00Z", "2101-01-01T00:00:00Z");
        CHECK(result.first_disagreement.value_or("") == "");
        if (rule(footer).has_dst()) CHECK(result.transitions >= 2 * 130);
    }
}

struct RuleCase {
    const char* text;
    const char* what;
    std::size_t transitions_1970_2100;
};

TEST_CASE("posix tz: rule forms the tzdb does not use today agree with glibc", "[schedule][zone]") {
    const RuleCase cases[] = {
        {"ABC3DEF,J60/2,J300/2", "Jn: February 29 never counted", 2 * 131},
        {"ABC3DEF,59/2,299/2", "n: February 29 counted", 2 * 131},
        {"ABC5DEF4:30,M3.2.0/2:30:15,M11.1.0/1:59:59", "explicit DST offset, seconds", 2 * 131},
        {"ABC3DEF,M3.1.0/-25,M10.1.0/-2", "negative times past a day", 2 * 131},
        {"ABC-3DEF,M3.5.5/167,M9.5.6/-167", "the extreme times RFC 8536 allows", 2 * 131},
        {"<+0330>-3:30<+0430>,J79/24,J263/24", "quoted names, Tehran's old rule", 2 * 131},
        {"ABC-12DEF,M9.5.0,M4.1.0/3", "south: DST spans the new year", 2 * 131},
        {"<+01>-1", "no DST, Casablanca's footer", 0},
    };
    for (const RuleCase& c : cases) {
        INFO(c.text << " (" << c.what << ")");
        const auto result = compare(c.text, "1970-01-01T00:00:00Z", "2101-01-01T00:00:00Z");
        CHECK(result.first_disagreement.value_or("") == "");
        CHECK(result.transitions == c.transitions_1970_2100);
    }
    // A DST name without rules takes the US rules, as glibc does without a posixrules file (with
    // one, glibc takes its transitions instead, so here the explicit rule is the reference).
    const PosixTzRule defaults = rule("ABC5DEF");
    const PosixTzRule explicit_rules = rule("ABC5DEF,M3.2.0,M11.1.0");
    for (SysSeconds t = sys("2030-01-01T00:00:00Z"); t < sys("2032-01-01T00:00:00Z");
         t += std::chrono::hours{1}) {
        const ZoneSegment a = defaults.segment_at(t);
        const ZoneSegment b = explicit_rules.segment_at(t);
        INFO(format_utc(Instant{t}));
        REQUIRE(std::tie(a.begin, a.end, a.offset) == std::tie(b.begin, b.end, b.offset));
    }
}

// glibc is no oracle here: it decides DST within each UTC calendar year, so it shows standard time
// from each January 1 00:00 UTC until the rule's start instant (05:00 UTC for this rule).
TEST_CASE("posix tz: DST all year is one segment at the DST offset", "[schedule][zone]") {
    const ZoneSegment segment = rule("EST5EDT,0/0,J365/25").segment_at(sys("2050-06-01T00:00:00Z"));
    CHECK(segment.begin == kFarPast);
    CHECK(segment.end == kFarFuture);
    CHECK(segment.offset == -4h);
    CHECK(rule("<+01>-1").segment_at(sys("2050-06-01T00:00:00Z")).offset == 1h);
}

struct BadRule {
    const char* text;
    const char* message;
};

TEST_CASE("posix tz: malformed rules say what was expected where", "[schedule][zone]") {
    const BadRule cases[] = {
        {"", "TZ rule \"\": expected a zone abbreviation of at least 3 characters at position 1"},
        {"ES5",
         "TZ rule \"ES5\": expected a zone abbreviation of at least 3 characters at "
         "position 3"},
        {"EST", "TZ rule \"EST\": expected hours (0-24) at position 4"},
        {"EST25", "TZ rule \"EST25\": expected hours (0-24) at position 4"},
        {"<+05", "TZ rule \"<+05\": expected '>' at position 5"},
        {"EST5EDT,M3.2.0",
         "TZ rule \"EST5EDT,M3.2.0\": expected ',' and the day DST ends at "
         "position 15"},
        {"EST5EDT,M13.2.0,M11.1.0",
         "TZ rule \"EST5EDT,M13.2.0,M11.1.0\": expected a month (1-12) "
         "at position 10"},
        {"EST5EDT,M3.6.0,M11.1.0",
         "TZ rule \"EST5EDT,M3.6.0,M11.1.0\": expected a week (1-5) at "
         "position 12"},
        {"EST5EDT,M3.2.7,M11.1.0",
         "TZ rule \"EST5EDT,M3.2.7,M11.1.0\": expected a weekday (0-6) "
         "at position 14"},
        {"EST5EDT,J0,J300",
         "TZ rule \"EST5EDT,J0,J300\": expected a day of the year (1-365) at "
         "position 10"},
        {"EST5EDT,366,J300",
         "TZ rule \"EST5EDT,366,J300\": expected 'M', 'J' or a day of the "
         "year (0-365) at position 9"},
        {"EST5EDT,M3.2.0/168,M11.1.0",
         "TZ rule \"EST5EDT,M3.2.0/168,M11.1.0\": expected hours "
         "(0-167) at position 16"},
        {"EST5EDT,M3.2.0/2:60,M11.1.0",
         "TZ rule \"EST5EDT,M3.2.0/2:60,M11.1.0\": expected "
         "minutes (00-59) at position 18"},
        {"EST5EDT,M3.2.0,M11.1.0x",
         "TZ rule \"EST5EDT,M3.2.0,M11.1.0x\": expected the end of the "
         "rule at position 23"},
    };
    for (const BadRule& c : cases) {
        INFO(c.text);
        const auto parsed = PosixTzRule::parse(c.text);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error() == c.message);
    }
}

}  // namespace
}  // namespace tasksrun

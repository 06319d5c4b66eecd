// DST behaviour of time-of-day and cron schedules, as tables of expected local firings.
// Transitions used (2025 unless noted), from the system tzdb:
//   America/New_York     03-09 02:00->03:00 (gap), 11-02 02:00->01:00 (fold)   northern
//   Australia/Sydney     10-05 02:00->03:00 (gap), 04-06 03:00->02:00 (fold)   southern
//   America/Havana       03-09 00:00->01:00 (gap), 11-02 01:00->00:00 (fold)   at midnight
//   Europe/Dublin        03-30 01:00->02:00 (gap), 10-26 02:00->01:00 (fold)   negative DST
//   Australia/Lord_Howe  10-05 02:00->02:30 (gap), 04-06 02:00->01:30 (fold)   30 minutes
//   Pacific/Apia         2011-12-30 skipped entirely (a 24 h gap)
// and, after 2037, the zones' TZif footer rules.
#include <catch2/catch.hpp>

#include "support/time.hpp"

namespace tasksrun {
namespace {

using test::at;
using test::next_local;
using test::zone;
using namespace std::chrono_literals;

WallClockSchedule daily_at(std::vector<std::chrono::seconds> times, const std::string& zone_name,
                           DstGap gap = DstGap::shift, DstFold fold = DstFold::first) {
    return WallClockSchedule(TimesOfDay(std::move(times)), zone(zone_name), DstPolicy{gap, fold});
}

WallClockSchedule cron_in(const std::string& expression, const std::string& zone_name,
                          DstGap gap = DstGap::shift, DstFold fold = DstFold::first) {
    auto cron = CronExpression::parse(expression);
    REQUIRE(cron.has_value());
    return WallClockSchedule(std::move(*cron), zone(zone_name), DstPolicy{gap, fold});
}

using Firings = std::vector<std::string>;

struct GapCase {
    const char* zone;
    std::chrono::seconds time_of_day;
    const char* from;
    Firings shift;
    Firings at_transition;
    Firings skip;
};

TEST_CASE("a time of day inside a DST gap follows dst_gap", "[schedule][dst]") {
    const GapCase cases[] = {
        {"America/New_York",
         2h + 30min,
         "2025-03-08T12:00:00Z",
         {"2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00"},
         {"2025-03-09T03:00:00-04:00", "2025-03-10T02:30:00-04:00"},
         {"2025-03-10T02:30:00-04:00", "2025-03-11T02:30:00-04:00"}},
        {"Australia/Sydney",
         2h + 30min,
         "2025-10-04T00:00:00Z",
         {"2025-10-05T03:30:00+11:00", "2025-10-06T02:30:00+11:00"},
         {"2025-10-05T03:00:00+11:00", "2025-10-06T02:30:00+11:00"},
         {"2025-10-06T02:30:00+11:00", "2025-10-07T02:30:00+11:00"}},
        {"America/Havana",
         0h,
         "2025-03-08T12:00:00Z",
         {"2025-03-09T01:00:00-04:00", "2025-03-10T00:00:00-04:00"},
         {"2025-03-09T01:00:00-04:00", "2025-03-10T00:00:00-04:00"},
         {"2025-03-10T00:00:00-04:00", "2025-03-11T00:00:00-04:00"}},
        {"America/Havana",
         30min,
         "2025-03-08T12:00:00Z",
         {"2025-03-09T01:30:00-04:00", "2025-03-10T00:30:00-04:00"},
         {"2025-03-09T01:00:00-04:00", "2025-03-10T00:30:00-04:00"},
         {"2025-03-10T00:30:00-04:00", "2025-03-11T00:30:00-04:00"}},
        {"Europe/Dublin",
         1h + 30min,
         "2025-03-29T12:00:00Z",
         {"2025-03-30T02:30:00+01:00", "2025-03-31T01:30:00+01:00"},
         {"2025-03-30T02:00:00+01:00", "2025-03-31T01:30:00+01:00"},
         {"2025-03-31T01:30:00+01:00", "2025-04-01T01:30:00+01:00"}},
        {"Australia/Lord_Howe",
         2h + 15min,
         "2025-10-04T00:00:00Z",
         {"2025-10-05T02:45:00+11:00", "2025-10-06T02:15:00+11:00"},
         {"2025-10-05T02:30:00+11:00", "2025-10-06T02:15:00+11:00"},
         {"2025-10-06T02:15:00+11:00", "2025-10-07T02:15:00+11:00"}},
    };
    for (const GapCase& c : cases) {
        INFO(c.zone << " at " << c.time_of_day.count() << "s");
        CHECK(next_local(daily_at({c.time_of_day}, c.zone, DstGap::shift), at(c.from), 2) ==
              c.shift);
        CHECK(next_local(daily_at({c.time_of_day}, c.zone, DstGap::at_transition), at(c.from), 2) ==
              c.at_transition);
        CHECK(next_local(daily_at({c.time_of_day}, c.zone, DstGap::skip), at(c.from), 2) == c.skip);
    }
}

struct FoldCase {
    const char* zone;
    std::chrono::seconds time_of_day;
    const char* from;
    Firings first;
    Firings last;
};

TEST_CASE("a time of day inside a DST fold runs once, as dst_fold says", "[schedule][dst]") {
    const FoldCase cases[] = {
        {"America/New_York",
         1h + 30min,
         "2025-11-01T12:00:00Z",
         {"2025-11-02T01:30:00-04:00", "2025-11-03T01:30:00-05:00"},
         {"2025-11-02T01:30:00-05:00", "2025-11-03T01:30:00-05:00"}},
        {"Australia/Sydney",
         2h + 30min,
         "2025-04-05T00:00:00Z",
         {"2025-04-06T02:30:00+11:00", "2025-04-07T02:30:00+10:00"},
         {"2025-04-06T02:30:00+10:00", "2025-04-07T02:30:00+10:00"}},
        {"America/Havana",
         30min,
         "2025-11-01T12:00:00Z",
         {"2025-11-02T00:30:00-04:00", "2025-11-03T00:30:00-05:00"},
         {"2025-11-02T00:30:00-05:00", "2025-11-03T00:30:00-05:00"}},
        {"Europe/Dublin",
         1h + 30min,
         "2025-10-25T12:00:00Z",
         {"2025-10-26T01:30:00+01:00", "2025-10-27T01:30:00+00:00"},
         {"2025-10-26T01:30:00+00:00", "2025-10-27T01:30:00+00:00"}},
        {"Australia/Lord_Howe",
         1h + 45min,
         "2025-04-05T00:00:00Z",
         {"2025-04-06T01:45:00+11:00", "2025-04-07T01:45:00+10:30"},
         {"2025-04-06T01:45:00+10:30", "2025-04-07T01:45:00+10:30"}},
    };
    for (const FoldCase& c : cases) {
        INFO(c.zone << " at " << c.time_of_day.count() << "s");
        CHECK(next_local(daily_at({c.time_of_day}, c.zone, DstGap::shift, DstFold::first),
                         at(c.from), 2) == c.first);
        CHECK(next_local(daily_at({c.time_of_day}, c.zone, DstGap::shift, DstFold::last),
                         at(c.from), 2) == c.last);
    }
}

TEST_CASE("fixed-time cron entries follow the same DST policies as times of day",
          "[schedule][dst]") {
    CHECK(next_local(cron_in("30 2 * * *", "America/New_York"), at("2025-03-08T12:00:00Z"), 2) ==
          Firings{"2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00"});
    CHECK(next_local(cron_in("30 2 * * *", "America/New_York", DstGap::at_transition),
                     at("2025-03-08T12:00:00Z"), 1) == Firings{"2025-03-09T03:00:00-04:00"});
    CHECK(next_local(cron_in("30 2 * * *", "America/New_York", DstGap::skip),
                     at("2025-03-08T12:00:00Z"), 1) == Firings{"2025-03-10T02:30:00-04:00"});
    CHECK(next_local(cron_in("30 1 * * *", "America/New_York", DstGap::shift, DstFold::last),
                     at("2025-11-01T12:00:00Z"), 1) == Firings{"2025-11-02T01:30:00-05:00"});
    // Several minutes inside one gap all land on the transition: one run, not three.
    CHECK(next_local(cron_in("0,20,40 2 * * *", "America/New_York", DstGap::at_transition),
                     at("2025-03-09T06:00:00Z"),
                     2) == Firings{"2025-03-09T03:00:00-04:00", "2025-03-10T02:00:00-04:00"});
    // With a seconds field, fixed-time still means "minute and hour are not *".
    CHECK(next_local(cron_in("0,30 30 2 * * *", "America/New_York", DstGap::shift),
                     at("2025-03-09T06:00:00Z"),
                     3) == Firings{"2025-03-09T03:30:00-04:00", "2025-03-09T03:30:30-04:00",
                                   "2025-03-10T02:30:00-04:00"});
}

TEST_CASE("real-time cron entries fire on every matching instant across DST", "[schedule][dst]") {
    SECTION("both passes of a repeated hour") {
        CHECK(next_local(cron_in("*/30 * * * *", "America/New_York"), at("2025-11-02T04:50:00Z"),
                         5) == Firings{"2025-11-02T01:00:00-04:00", "2025-11-02T01:30:00-04:00",
                                       "2025-11-02T01:00:00-05:00", "2025-11-02T01:30:00-05:00",
                                       "2025-11-02T02:00:00-05:00"});
        CHECK(next_local(cron_in("*/15 * * * *", "Australia/Lord_Howe"), at("2025-04-05T14:40:00Z"),
                         4) == Firings{"2025-04-06T01:45:00+11:00", "2025-04-06T01:30:00+10:30",
                                       "2025-04-06T01:45:00+10:30", "2025-04-06T02:00:00+10:30"});
        // The dst_fold policy does not apply to real-time entries.
        CHECK(next_local(cron_in("@hourly", "Europe/Dublin", DstGap::shift, DstFold::last),
                         at("2025-10-25T23:30:00Z"),
                         3) == Firings{"2025-10-26T01:00:00+01:00", "2025-10-26T01:00:00+00:00",
                                       "2025-10-26T02:00:00+00:00"});
    }
    SECTION("nothing that the gap removed") {
        CHECK(next_local(cron_in("*/30 * * * *", "America/New_York", DstGap::shift),
                         at("2025-03-09T06:10:00Z"),
                         3) == Firings{"2025-03-09T01:30:00-05:00", "2025-03-09T03:00:00-04:00",
                                       "2025-03-09T03:30:00-04:00"});
        CHECK(next_local(cron_in("30 * * * *", "Australia/Sydney", DstGap::at_transition),
                         at("2025-10-04T15:00:00Z"),
                         2) == Firings{"2025-10-05T01:30:00+10:00", "2025-10-05T03:30:00+11:00"});
    }
}

// Transitions after 2037 come from each zone's TZif footer rule (dates from the rule's text:
// New York's second Sunday of March, Sydney's and Auckland's first Sunday of April, Dublin's
// last Sunday of March).
TEST_CASE("DST after 2037 follows the zone's footer rule", "[schedule][dst]") {
    // The 2040 gap: 02:45 does not exist on 2040-03-11.
    CHECK(next_local(cron_in("45 2 * * *", "America/New_York"), at("2040-03-10T12:00:00Z"), 2) ==
          Firings{"2040-03-11T03:45:00-04:00", "2040-03-12T02:45:00-04:00"});
    CHECK(next_local(cron_in("30 2 * * *", "America/New_York", DstGap::skip),
                     at("2045-03-11T12:00:00Z"), 1) == Firings{"2045-03-13T02:30:00-04:00"});
    CHECK(next_local(daily_at({2h + 30min}, "Australia/Sydney", DstGap::shift, DstFold::last),
                     at("2050-04-02T00:00:00Z"), 1) == Firings{"2050-04-03T02:30:00+10:00"});
    CHECK(next_local(daily_at({2h + 30min}, "Australia/Sydney"), at("2050-04-02T00:00:00Z"), 1) ==
          Firings{"2050-04-03T02:30:00+11:00"});
    CHECK(next_local(daily_at({1h + 30min}, "Europe/Dublin", DstGap::at_transition),
                     at("2060-03-27T12:00:00Z"), 1) == Firings{"2060-03-28T02:00:00+01:00"});
    CHECK(next_local(cron_in("30 * * * *", "Pacific/Auckland"), at("2070-04-05T13:00:00Z"), 3) ==
          Firings{"2070-04-06T02:30:00+13:00", "2070-04-06T02:30:00+12:00",
                  "2070-04-06T03:30:00+12:00"});
}

TEST_CASE("time entries in several zones each follow their own zone's DST", "[schedule][dst]") {
    // The task's zone is Berlin; one entry names New York. New York springs forward on
    // 2025-03-09, Berlin on 2025-03-30: for three weeks the two 09:00s are 5 hours apart.
    const WallClockSchedule both(TimesOfDay({9h}), zone("Europe/Berlin"), {},
                                 {ZonedTimes{TimesOfDay({9h}), zone("America/New_York")}});
    std::vector<std::string> firings;
    Instant t = at("2025-03-08T00:00:00Z");
    for (int i = 0; i < 4; ++i) {
        t = *both.next_after(t);
        firings.push_back(test::local_text(t, both.zone_of_slot(t)));
    }
    CHECK(firings == Firings{"2025-03-08T09:00:00+01:00", "2025-03-08T09:00:00-05:00",
                             "2025-03-09T09:00:00+01:00", "2025-03-09T09:00:00-04:00"});
    // Each zone's gap applies to its own entries only: 02:30 in New York on 2025-03-09.
    const WallClockSchedule gap(TimesOfDay({}), zone("UTC"), {DstGap::skip, DstFold::first},
                                {ZonedTimes{TimesOfDay({2h + 30min}), zone("America/New_York")}});
    CHECK(next_local(gap, at("2025-03-08T12:00:00Z"), 1) ==
          Firings{"2025-03-10T06:30:00+00:00"});  // UTC is the task's zone here
    // 09:00 in Berlin and 03:00 in New York are the same instant in summer: one run, shown in
    // the task's zone.
    const WallClockSchedule same(TimesOfDay({9h}), zone("Europe/Berlin"), {},
                                 {ZonedTimes{TimesOfDay({3h}), zone("America/New_York")}});
    const Instant first = *same.next_after(at("2025-06-02T00:00:00Z"));
    CHECK(first == at("2025-06-02T07:00:00Z"));
    CHECK(same.next_after(first) == at("2025-06-03T07:00:00Z"));
    CHECK(same.zone_of_slot(first).name() == "Europe/Berlin");
}

TEST_CASE("slots that land on the same instant run once", "[schedule][dst]") {
    // 02:30 shifted by the gap is 03:30, which is also listed.
    CHECK(next_local(daily_at({2h + 30min, 3h + 30min}, "America/New_York"),
                     at("2025-03-08T12:00:00Z"),
                     3) == Firings{"2025-03-09T03:30:00-04:00", "2025-03-10T02:30:00-04:00",
                                   "2025-03-10T03:30:00-04:00"});
    // Samoa skipped 2011-12-30: that day's noon, shifted by 24 h, is the noon of the 31st.
    CHECK(next_local(daily_at({12h}, "Pacific/Apia"), at("2011-12-29T00:00:00Z"), 3) ==
          Firings{"2011-12-29T12:00:00-10:00", "2011-12-31T12:00:00+14:00",
                  "2012-01-01T12:00:00+14:00"});
    CHECK(next_local(daily_at({12h}, "Pacific/Apia", DstGap::at_transition),
                     at("2011-12-29T00:00:00Z"),
                     3) == Firings{"2011-12-29T12:00:00-10:00", "2011-12-31T00:00:00+14:00",
                                   "2011-12-31T12:00:00+14:00"});
}

TEST_CASE("a time of day at a midnight fall-back is still once a day", "[schedule][dst]") {
    // Santiago falls back from 2025-04-06 00:00 to 2025-04-05 23:00: 23:30 on the 5th happens
    // twice.
    CHECK(next_local(daily_at({23h + 30min}, "America/Santiago"), at("2025-04-05T12:00:00Z"), 2) ==
          Firings{"2025-04-05T23:30:00-03:00", "2025-04-06T23:30:00-04:00"});
    CHECK(next_local(daily_at({23h + 30min}, "America/Santiago", DstGap::shift, DstFold::last),
                     at("2025-04-05T12:00:00Z"),
                     2) == Firings{"2025-04-05T23:30:00-04:00", "2025-04-06T23:30:00-04:00"});
}

TEST_CASE("next_after is strictly after and never early", "[schedule]") {
    const auto schedule = daily_at({9h}, "Europe/Berlin");
    const Instant nine = at("2025-06-02T07:00:00Z");
    CHECK(schedule.next_after(nine - 1us) == nine);
    CHECK(schedule.next_after(nine) == at("2025-06-03T07:00:00Z"));
    CHECK(schedule.next_after(nine + 500ms) == at("2025-06-03T07:00:00Z"));
}

TEST_CASE("times of day repeat daily in the zone, across month and year ends", "[schedule]") {
    CHECK(next_local(daily_at({0h, 23h + 59min + 59s}, "UTC"), at("2024-12-31T12:00:00Z"), 3) ==
          Firings{"2024-12-31T23:59:59+00:00", "2025-01-01T00:00:00+00:00",
                  "2025-01-01T23:59:59+00:00"});
    CHECK(next_local(daily_at({6h}, "Asia/Kolkata"), at("2024-02-28T12:00:00Z"), 2) ==
          Firings{"2024-02-29T06:00:00+05:30", "2024-03-01T06:00:00+05:30"});
}

}  // namespace
}  // namespace tasksrun

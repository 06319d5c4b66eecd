// Properties of wall-clock schedules over random expressions, zones and instants (1970-2100),
// followed over chains of successive firings: next_after(t) > t, it is a slot, and no slot lies
// between. "Slot" comes from an independent oracle that maps each local match on its own to the
// instants with that local time (as date's local_info would, but over the zone's own segments,
// so that the years after 2037 count too), instead of walking segments forward. The segments
// themselves are checked against glibc in zone_test.cpp; the local matcher against a
// brute-force scan.
#include <catch2/catch.hpp>
#include <random>

#include "support/cron_generator.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

constexpr const char* kZones[] = {
    "UTC",           "America/New_York",    "Australia/Sydney",  "America/Havana",
    "Europe/Dublin", "Australia/Lord_Howe", "America/Santiago",  "Pacific/Apia",
    "Asia/Kolkata",  "Europe/Berlin",       "America/Sao_Paulo", "Asia/Tehran",
};

using test::CronGenerator;

std::vector<seconds> random_times_of_day(CronGenerator& gen) {
    std::vector<seconds> times(static_cast<std::size_t>(gen.uniform(1, 4)));
    for (auto& t : times) {
        // Bias towards the small hours, where DST transitions happen.
        const int hour = gen.chance(0.5) ? gen.uniform(0, 3) : gen.uniform(0, 23);
        t = std::chrono::hours{hour} + std::chrono::minutes{gen.uniform(0, 3) * 15} +
            seconds{gen.chance(0.1) ? gen.uniform(0, 59) : 0};
    }
    return times;
}

// How one local time maps to instants, read off the zone's segments directly (the shape of
// date's local_info): the instants whose local time it is (one, or two in a fold), or, in a gap,
// the transition that skipped it and the offset before it.
struct LocalMapping {
    std::vector<SysSeconds> instants;  // in time order
    SysSeconds gap_transition{};
    seconds offset_before_gap{0};
};

LocalMapping map_local(const Zone& zone, date::local_seconds local) {
    LocalMapping mapping;
    const SysSeconds as_utc{local.time_since_epoch()};
    // Offsets stay within +-15 h and a gap is at most a day (Samoa's skipped day), so every
    // segment that can matter starts within two days either side.
    ZoneSegment segment = zone.segment_at(as_utc - date::days{2});
    for (;;) {
        const SysSeconds instant = as_utc - segment.offset;
        if (segment.begin <= instant && instant < segment.end) mapping.instants.push_back(instant);
        if (segment.end >= kFarFuture || segment.end > as_utc + date::days{2}) break;
        const ZoneSegment next = zone.segment_at(segment.end);
        const date::local_seconds gap_lo{segment.end.time_since_epoch() + segment.offset};
        const date::local_seconds gap_hi{segment.end.time_since_epoch() + next.offset};
        if (gap_lo <= local && local < gap_hi) {
            mapping.gap_transition = segment.end;
            mapping.offset_before_gap = segment.offset;
        }
        segment = next;
    }
    return mapping;
}

// The earliest slot after t, found by mapping local matches one by one through map_local.
template <typename Pattern>
std::optional<SysSeconds> oracle_next(const Pattern& pattern, const Zone& zone, bool fixed_time,
                                      DstPolicy policy, Instant t) {
    const SysSeconds after = std::chrono::floor<seconds>(t);
    const seconds offset = zone.offset_at(after);
    // A slot's instant is never more than a day (Samoa's skipped day) after its local time,
    // and offsets stay within +-15 h: start two days back and stop two days past the best.
    date::local_seconds local{after.time_since_epoch() + offset - date::days{2}};
    std::optional<SysSeconds> best;
    const auto consider = [&](SysSeconds candidate) {
        if (candidate > after && (!best || candidate < *best)) best = candidate;
    };
    for (;;) {
        const auto match = pattern.next_match(local, local + date::years{200});
        if (!match) return best;
        if (best && match->time_since_epoch() > best->time_since_epoch() + 15h + date::days{2})
            return best;
        const LocalMapping mapping = map_local(zone, *match);
        if (mapping.instants.empty()) {
            if (fixed_time && policy.gap == DstGap::shift) {
                consider(SysSeconds{match->time_since_epoch() - mapping.offset_before_gap});
            } else if (fixed_time && policy.gap == DstGap::at_transition) {
                consider(mapping.gap_transition);
            }
        } else if (!fixed_time) {
            for (const SysSeconds instant : mapping.instants) consider(instant);
        } else {
            consider(policy.fold == DstFold::first ? mapping.instants.front()
                                                   : mapping.instants.back());
        }
        local = *match + 1s;
    }
}

Instant random_instant(CronGenerator& gen, std::mt19937_64& rng) {
    const auto lo = date::sys_days{date::year{1970} / 1 / 1}.time_since_epoch();
    const auto hi = date::sys_days{date::year{2100} / 1 / 1}.time_since_epoch();
    const auto s = std::uniform_int_distribution<std::int64_t>(
        std::chrono::duration_cast<seconds>(lo).count(),
        std::chrono::duration_cast<seconds>(hi).count())(rng);
    return Instant{seconds{s}} +
           std::chrono::microseconds{gen.chance(0.2) ? gen.uniform(0, 999999) : 0};
}

// Most instants are placed in the 36 hours before one of the zone's transitions, where the DST
// rules matter; uniform instants over 130 years would almost never exercise them.
Instant random_instant_near_transition(CronGenerator& gen, std::mt19937_64& rng, const Zone& zone) {
    const Instant t = random_instant(gen, rng);
    if (gen.chance(0.3)) return t;
    const ZoneSegment segment = zone.segment_at(std::chrono::floor<seconds>(t));
    if (segment.end >= kFarFuture) return t;
    return Instant{segment.end} - seconds{gen.uniform(0, 36 * 3600)};
}

DstPolicy random_policy(CronGenerator& gen) {
    const DstGap gaps[] = {DstGap::shift, DstGap::at_transition, DstGap::skip};
    return {gaps[gen.uniform(0, 2)], gen.chance(0.5) ? DstFold::first : DstFold::last};
}

TEST_CASE("property: next_after is the earliest slot strictly after t", "[schedule][property]") {
    std::mt19937_64 rng(20261122);
    CronGenerator gen(rng);
    int checked = 0;
    while (checked < 3000) {
        const bool use_cron = gen.chance(0.7);
        const std::string zone_name = kZones[gen.uniform(0, std::size(kZones) - 1)];
        const DstPolicy policy = random_policy(gen);
        const Instant t = random_instant_near_transition(gen, rng, test::zone(zone_name));
        std::optional<WallClockSchedule> schedule;
        std::string description;
        if (use_cron) {
            description = gen.next().text;
            // Sometimes the first field is H, hashed from a task name.
            const std::string name = "task-" + std::to_string(checked);
            if (gen.chance(0.1)) description = "H" + description.substr(description.find(' '));
            auto cron = CronExpression::parse(description, name);
            if (!cron) continue;  // a combination of days that never happens
            schedule.emplace(std::move(*cron), test::zone(zone_name), policy);
        } else {
            auto times = random_times_of_day(gen);
            for (auto s : times) description += date::format("%T ", s);
            // Sometimes some of the entries name a zone of their own.
            std::vector<ZonedTimes> elsewhere;
            if (gen.chance(0.3)) {
                const std::string other = kZones[gen.uniform(0, std::size(kZones) - 1)];
                auto more = random_times_of_day(gen);
                description += "and in " + other + ": ";
                for (auto s : more) description += date::format("%T ", s);
                elsewhere.push_back({TimesOfDay(more), test::zone(other)});
                if (gen.chance(0.3)) times.clear();  // every entry names its zone
            }
            schedule.emplace(TimesOfDay(times), test::zone(zone_name), policy,
                             std::move(elsewhere));
        }
        // Follow a chain of firings: each must be the oracle's next slot after the previous one,
        // which is what "never twice, never early, none skipped" means.
        Instant cursor = t;
        for (int step = 0; step < 4; ++step) {
            INFO(description << " (task " << checked << ") in " << zone_name << " after "
                             << format_utc(cursor) << " gap " << static_cast<int>(policy.gap)
                             << " fold " << static_cast<int>(policy.fold));
            const auto next = schedule->next_after(cursor);
            auto expected = std::visit(
                [&](const auto& p) {
                    return oracle_next(p, schedule->zone(), schedule->is_fixed_time(), policy,
                                       cursor);
                },
                schedule->pattern());
            for (const ZonedTimes& group : schedule->elsewhere()) {
                const auto candidate = oracle_next(group.times, group.zone, true, policy, cursor);
                if (candidate && (!expected || *candidate < *expected)) expected = candidate;
            }
            REQUIRE(next.has_value() == expected.has_value());
            if (!next) break;
            REQUIRE(*next > cursor);
            REQUIRE(*next == Instant{*expected});
            if (!schedule->is_fixed_time()) {
                const auto& cron = std::get<CronExpression>(schedule->pattern());
                const auto offset = schedule->zone().offset_at(*expected);
                REQUIRE(cron.matches(date::local_seconds{expected->time_since_epoch() + offset}));
            }
            cursor = *next;
        }
        ++checked;
    }
}

// The first time in [from, until) that the expression's own meaning (from the generator, not
// from schedule/) allows: matching days are found day by day, then their seconds or minutes.
std::optional<date::local_seconds> brute_next(const test::GeneratedCron& cron,
                                              date::local_seconds from, date::local_seconds until) {
    const seconds step = cron.has_seconds ? 1s : 60s;
    for (date::local_days day = date::floor<date::days>(from); day < until; day += date::days{1}) {
        if (!cron.day_matches(date::year_month_day{day})) continue;
        date::local_seconds t = std::max<date::local_seconds>(from, day);
        if (!cron.has_seconds) t = date::ceil<std::chrono::minutes>(t);
        for (; t < day + date::days{1} && t < until; t += step) {
            if (cron.time_matches(t - day)) return t;
        }
    }
    return std::nullopt;
}

TEST_CASE("property: the local matcher agrees with a brute-force scan", "[schedule][property]") {
    std::mt19937_64 rng(7);
    CronGenerator gen(rng);
    int checked = 0;
    int never = 0;
    while (checked < 1000) {
        const test::GeneratedCron expression = gen.next();
        const auto cron = CronExpression::parse(expression.text);
        const Instant t = random_instant(gen, rng);
        const date::local_seconds from{std::chrono::floor<seconds>(t).time_since_epoch()};
        INFO(expression.text << " from " << date::format("%F %T", from));
        if (!cron) {
            // Rejected as never firing: no day of the 400-year Gregorian cycle matches.
            REQUIRE(cron.error().message ==
                    "this expression never fires: no selected month has the selected days");
            const date::local_days cycle{date::year{2000} / 1 / 1};
            bool any = false;
            for (date::local_days day = cycle; day < cycle + date::years{400} && !any;
                 day += date::days{1}) {
                any = expression.day_matches(date::year_month_day{day});
            }
            CHECK_FALSE(any);
            ++never;
            continue;
        }
        // Three years of days, so that rare days (a 5th Friday in February, L-30) come round.
        const date::local_seconds until = from + date::years{3};
        const auto brute = brute_next(expression, from, until);
        CHECK(cron->next_match(from, until) == brute);
        if (brute) CHECK(cron->matches(*brute));
        ++checked;
    }
    // The generator makes some impossible combinations too; they were checked above.
    CHECK(never > 0);
}

}  // namespace
}  // namespace tasksrun

// Properties of wall-clock schedules over random expressions, zones and instants (1970-2100),
// followed over chains of successive firings: next_after(t) > t, it is a slot, and no slot lies
// between. "Slot" comes from an independent oracle that maps each local match on its own to the
// instants with that local time (as date's local_info would, but over the zone's own segments,
// so that the years after 2037 count too), instead of walking segments forward. The segments
// themselves are checked against glibc in zone_test.cpp; the local matcher against a
// brute-force scan.
#include <catch2/catch.hpp>
#include <random>

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

class ExpressionGenerator {
  public:
    explicit ExpressionGenerator(std::mt19937_64& rng) : rng_(rng) {}

    std::string cron() {
        std::string text;
        if (chance(0.25)) text += field(0, 59) + " ";
        // Hours are often single small-hour values: fixed-time entries in the DST hours.
        const std::string hour = chance(0.4) ? std::to_string(uniform(0, 3)) : field(0, 23);
        text +=
            field(0, 59) + " " + hour + " " + field(1, 31) + " " + field(1, 12) + " " + field(0, 7);
        return text;
    }

    std::vector<seconds> times_of_day() {
        std::vector<seconds> times(uniform(1, 4));
        for (auto& t : times) {
            // Bias towards the small hours, where DST transitions happen.
            const int hour = chance(0.5) ? uniform(0, 3) : uniform(0, 23);
            t = std::chrono::hours{hour} + std::chrono::minutes{uniform(0, 3) * 15} +
                seconds{chance(0.1) ? uniform(0, 59) : 0};
        }
        return times;
    }

    int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  private:
    std::string field(int lo, int hi) {
        switch (uniform(0, 5)) {
            case 0:
                return "*";
            case 1:
                return "*/" + std::to_string(uniform(1, (hi - lo) / 2 + 1));
            case 2:
                return std::to_string(uniform(lo, hi));
            case 3: {
                const int a = uniform(lo, hi);
                return std::to_string(a) + "-" + std::to_string(uniform(a, hi));
            }
            case 4: {
                const int a = uniform(lo, hi);
                return std::to_string(a) + "-" + std::to_string(uniform(a, hi)) + "/" +
                       std::to_string(uniform(1, 5));
            }
            default: {
                std::string list = std::to_string(uniform(lo, hi));
                for (int i = uniform(1, 3); i > 0; --i)
                    list += "," + std::to_string(uniform(lo, hi));
                return list;
            }
        }
    }

    std::mt19937_64& rng_;
};

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

Instant random_instant(ExpressionGenerator& gen, std::mt19937_64& rng) {
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
Instant random_instant_near_transition(ExpressionGenerator& gen, std::mt19937_64& rng,
                                       const Zone& zone) {
    const Instant t = random_instant(gen, rng);
    if (gen.chance(0.3)) return t;
    const ZoneSegment segment = zone.segment_at(std::chrono::floor<seconds>(t));
    if (segment.end >= kFarFuture) return t;
    return Instant{segment.end} - seconds{gen.uniform(0, 36 * 3600)};
}

DstPolicy random_policy(ExpressionGenerator& gen) {
    const DstGap gaps[] = {DstGap::shift, DstGap::at_transition, DstGap::skip};
    return {gaps[gen.uniform(0, 2)], gen.chance(0.5) ? DstFold::first : DstFold::last};
}

TEST_CASE("property: next_after is the earliest slot strictly after t", "[schedule][property]") {
    std::mt19937_64 rng(20261122);
    ExpressionGenerator gen(rng);
    int checked = 0;
    while (checked < 3000) {
        const bool use_cron = gen.chance(0.7);
        const std::string zone_name = kZones[gen.uniform(0, std::size(kZones) - 1)];
        const DstPolicy policy = random_policy(gen);
        const Instant t = random_instant_near_transition(gen, rng, test::zone(zone_name));
        std::optional<WallClockSchedule> schedule;
        std::string description;
        if (use_cron) {
            description = gen.cron();
            auto cron = CronExpression::parse(description);
            if (!cron) continue;  // an impossible day-of-month/month combination
            schedule.emplace(std::move(*cron), test::zone(zone_name), policy);
        } else {
            auto times = gen.times_of_day();
            for (auto s : times) description += date::format("%T ", s);
            schedule.emplace(TimesOfDay(times), test::zone(zone_name), policy);
        }
        // Follow a chain of firings: each must be the oracle's next slot after the previous one,
        // which is what "never twice, never early, none skipped" means.
        Instant cursor = t;
        for (int step = 0; step < 4; ++step) {
            INFO(description << " in " << zone_name << " after " << format_utc(cursor) << " gap "
                             << static_cast<int>(policy.gap) << " fold "
                             << static_cast<int>(policy.fold));
            const auto next = schedule->next_after(cursor);
            const auto expected = std::visit(
                [&](const auto& p) {
                    return oracle_next(p, schedule->zone(), schedule->is_fixed_time(), policy,
                                       cursor);
                },
                schedule->pattern());
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

TEST_CASE("property: the local matcher agrees with a brute-force scan", "[schedule][property]") {
    std::mt19937_64 rng(7);
    ExpressionGenerator gen(rng);
    int checked = 0;
    while (checked < 300) {
        const std::string expression = gen.cron();
        const auto cron = CronExpression::parse(expression);
        if (!cron) continue;
        const Instant t = random_instant(gen, rng);
        const date::local_seconds from{std::chrono::floor<seconds>(t).time_since_epoch()};
        // Minute steps are exact for 5-field expressions (seconds fixed at 0); a 6-field one is
        // scanned second by second over a shorter window.
        const bool has_seconds = std::count(expression.begin(), expression.end(), ' ') == 5;
        const seconds step = has_seconds ? 1s : 60s;
        const auto window = has_seconds ? seconds{3h} : seconds{date::days{3}};
        date::local_seconds scan = has_seconds ? from : date::ceil<std::chrono::minutes>(from);
        std::optional<date::local_seconds> brute;
        for (; scan < from + window; scan += step) {
            if (cron->matches(scan)) {
                brute = scan;
                break;
            }
        }
        INFO(expression << " from " << date::format("%F %T", from));
        CHECK(cron->next_match(from, from + window) == brute);
        ++checked;
    }
}

}  // namespace
}  // namespace tasksrun

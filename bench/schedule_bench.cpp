// next_after throughput for interval, time-of-day and cron schedules, chained over successive
// firings from 2025 to 2100 and round again (or, for a case with a `from`, each call from that
// one instant). The peer is the
// approach next_after avoids: scanning local minutes one by one and asking the zone for each
// minute's offset. Prints one line per case with the median of 7 runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "schedule/posix_tz.hpp"
#include "schedule/schedule.hpp"
#include "util/rfc3339.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tasksrun;
using Clock = std::chrono::steady_clock;

// Each chain stays well inside the years the tz library describes (up to 32767), where
// next_after always has an answer; `next` checks that rather than trusting it.
Instant next(const Schedule& schedule, Instant t, Instant anchor) {
    const auto slot = schedule.next_after(t, anchor);
    if (!slot) {
        std::fprintf(stderr, "schedule_bench: no slot after %s\n", format_utc(t).c_str());
        std::exit(1);
    }
    return *slot;
}

// Median nanoseconds per call of `step`, over 7 runs of `calls` calls each.
double median_ns_per_call(std::size_t calls, const std::function<void()>& reset,
                          const std::function<void()>& step) {
    std::vector<double> runs;
    for (int run = 0; run < 7; ++run) {
        reset();
        const auto start = Clock::now();
        for (std::size_t i = 0; i < calls; ++i) step();
        runs.push_back(std::chrono::duration<double, std::nano>(Clock::now() - start).count() /
                       static_cast<double>(calls));
    }
    std::ranges::sort(runs);
    return runs[runs.size() / 2];
}

// The peer: first local minute after t that matches, by scanning minute by minute.
Instant scan_minutes(const CronExpression& cron, const Zone& zone, Instant t) {
    SysSeconds minute =
        std::chrono::ceil<std::chrono::minutes>(std::chrono::floor<std::chrono::seconds>(t) + 1s);
    for (;; minute += 60s) {
        if (cron.matches(date::local_seconds{minute.time_since_epoch() + zone.offset_at(minute)}))
            return Instant{minute};
    }
}

Instant checksum;  // keeps the optimiser from dropping the work

void report(const char* name, std::size_t calls, double ns, double peer_ns = 0) {
    std::printf("%-44s %9zu calls  %10.1f ns/call  %12.0f calls/s", name, calls, ns, 1e9 / ns);
    if (peer_ns > 0)
        std::printf("   minute-scan peer %12.1f ns/call  peer/ours %8.1f", peer_ns, peer_ns / ns);
    std::printf("\n");
}

}  // namespace

int main() {
    const Instant start = *parse_rfc3339("2025-01-01T00:00:00Z");
    // A chain starts over from 2025 when it passes 2100, so that every row measures the years a
    // daemon or `next` works in, not centuries ahead.
    const Instant wrap = *parse_rfc3339("2100-01-01T00:00:00Z");
    const auto chained = [&](Instant slot) { return slot < wrap ? slot : start; };
    const Zone new_york = *Zone::locate("America/New_York");
    Instant t = start;
    const auto reset = [&] { t = start; };

    {
        const Schedule every_30s{IntervalSchedule(30s)};
        const double ns =
            median_ns_per_call(1'000'000, reset, [&] { t = next(every_30s, t, start); });
        report("interval 30s", 1'000'000, ns);
    }
    {
        const Schedule times{WallClockSchedule(TimesOfDay({3h, 15h}), new_york, {})};
        const double ns =
            median_ns_per_call(200'000, reset, [&] { t = chained(next(times, t, start)); });
        report("time [03:00, 15:00] America/New_York", 200'000, ns);
    }
    struct CronCase {
        const char* name;
        const char* expression;
        const char* zone;
        std::size_t calls;
        std::size_t peer_calls;
        // Set: every call starts from this instant instead of following the chain of firings.
        const char* from = nullptr;
    };
    const CronCase cron_cases[] = {
        {"cron */5 * * * * UTC", "*/5 * * * *", "UTC", 1'000'000, 100'000},
        {"cron 0 9 * * MON-FRI America/New_York", "0 9 * * MON-FRI", "America/New_York", 200'000,
         2'000},
        {"cron 30 2 * * * America/New_York (DST gap)", "30 2 * * *", "America/New_York", 200'000,
         2'000},
        {"cron 0 0 29 2 * UTC (leap days)", "0 0 29 2 *", "UTC", 1'000, 20},
        {"cron 0 9 L * * UTC (last day)", "0 9 L * *", "UTC", 200'000, 1'000},
        {"cron 0 9 * * FRI#2 UTC (2nd Friday)", "0 9 * * FRI#2", "UTC", 200'000, 1'000},
        {"cron H H * * * UTC (task \"backup\")", "H H * * *", "UTC", 200'000, 2'000},
        {"cron 30 2 * * * New_York 2045-03-11 (gap)", "30 2 * * *", "America/New_York", 200'000,
         2'000, "2045-03-11T12:00:00Z"},
    };
    for (const CronCase& c : cron_cases) {
        const CronExpression cron = *CronExpression::parse(c.expression, "backup");
        const Zone zone = *Zone::locate(c.zone);
        const Schedule schedule{WallClockSchedule(cron, zone, {})};
        double ns = 0;
        double peer = 0;
        if (c.from != nullptr) {
            const Instant from = *parse_rfc3339(c.from);
            ns = median_ns_per_call(
                c.calls, reset, [&] { checksum = std::max(checksum, next(schedule, from, from)); });
            peer = median_ns_per_call(c.peer_calls, reset, [&] {
                checksum = std::max(checksum, scan_minutes(cron, zone, from));
            });
        } else {
            ns = median_ns_per_call(c.calls, reset, [&] { t = chained(next(schedule, t, start)); });
            checksum = std::max(checksum, t);
            peer = median_ns_per_call(c.peer_calls, reset,
                                      [&] { t = chained(scan_minutes(cron, zone, t)); });
            checksum = std::max(checksum, t);
        }
        report(c.name, c.calls, ns, peer);
    }
    // The zone seam on its own: segment_at over a year of instants 31 s apart, from the tz
    // library's transitions (2025), from the footer rule's precomputed segments (2045), and from
    // the rule worked out each time (what happens past 2200).
    {
        const PosixTzRule rule = *PosixTzRule::parse("EST5EDT,M3.2.0,M11.1.0");
        std::int64_t sum = 0;
        const auto lookups = [&](const char* name, int year, const auto& segment_at) {
            const SysSeconds from{date::sys_days{date::year{year} / 1 / 1}};
            std::int64_t i = 0;
            const double ns = median_ns_per_call(
                1'000'000, [&] { i = 0; },
                [&] { sum += segment_at(from + std::chrono::seconds{31 * i++}).offset.count(); });
            report(name, 1'000'000, ns);
        };
        lookups("segment_at America/New_York 2025 (tzdb)", 2025,
                [&](SysSeconds at) { return new_york.segment_at(at); });
        lookups("segment_at America/New_York 2045 (footer)", 2045,
                [&](SysSeconds at) { return new_york.segment_at(at); });
        lookups("segment_at EST5EDT,M3.2.0,M11.1.0 (the rule)", 2045,
                [&](SysSeconds at) { return rule.segment_at(at); });
        if (sum == 0) std::printf("(no offsets)\n");
    }
    std::printf("(checksum %s)\n", format_utc(checksum).c_str());
}

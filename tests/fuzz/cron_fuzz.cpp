// libFuzzer target: a cron expression and an instant, in zones with DST transitions (and UTC),
// under every DST policy. Parsing must never crash; for every expression that parses,
// next_after must return a slot strictly later than its argument, four times in a row.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string_view>

#include "schedule/cron.hpp"
#include "schedule/wall_clock.hpp"
#include "schedule/zone.hpp"

namespace {

using tasksrun::Zone;

// Zones with DST both ways, a half-hour offset and a zone that changed its offset for good.
constexpr std::array<const char*, 6> kZones = {
    "UTC",          "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
    "Asia/Kolkata", "Pacific/Apia"};

const Zone& zone(std::size_t index) {
    static const std::array<Zone, kZones.size()> zones = [] {
        std::array<Zone, kZones.size()> located{Zone::utc(), Zone::utc(), Zone::utc(),
                                                Zone::utc(), Zone::utc(), Zone::utc()};
        for (std::size_t i = 0; i < kZones.size(); ++i) {
            auto found = Zone::locate(kZones[i]);
            if (!found) std::abort();  // the tzdb is part of the test environment
            located[i] = *found;
        }
        return located;
    }();
    return zones[index % zones.size()];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // Header: zone (1 byte), policy (1 byte), start instant (8 bytes); the rest is the expression.
    constexpr std::size_t kHeader = 10;
    if (size < kHeader) return 0;
    std::int64_t seconds = 0;
    std::memcpy(&seconds, data + 2, sizeof seconds);
    // 1970 to 2100, where the schedules promise to agree with the tzdb.
    constexpr std::int64_t kSpan = 4'102'444'800;
    seconds = static_cast<std::int64_t>(static_cast<std::uint64_t>(seconds) % kSpan);
    const std::string_view text(reinterpret_cast<const char*>(data + kHeader), size - kHeader);

    auto cron = tasksrun::CronExpression::parse(text);
    if (!cron) return 0;
    const tasksrun::DstPolicy policy{.gap = static_cast<tasksrun::DstGap>(data[1] % 3),
                                     .fold = static_cast<tasksrun::DstFold>((data[1] / 3) % 2)};
    const tasksrun::WallClockSchedule schedule(std::move(*cron), zone(data[0]), policy);
    tasksrun::Instant at{std::chrono::seconds{seconds}};
    for (int i = 0; i < 4; ++i) {
        const std::optional<tasksrun::Instant> next = schedule.next_after(at);
        if (!next) break;
        if (*next <= at) std::abort();  // never the same slot twice, never early
        at = *next;
    }
    return 0;
}

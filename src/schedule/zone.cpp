#include "schedule/zone.hpp"

#include <date/tz.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "schedule/posix_tz.hpp"
#include "schedule/tzif.hpp"
#include "util/suggest.hpp"

namespace tasksrun {

// Where date/tz finds the compiled zones on Debian, and where glibc looks too.
constexpr const char* kZoneInfoDir = "/usr/share/zoneinfo/";
// Far enough for any firing a daemon or `next` computes in this century, with next_after's
// 100-year horizon on top; later instants are worked out from the rule each time.
constexpr SysSeconds kFooterTableEnd{date::sys_days{date::year{2200} / 1 / 1}};

struct Zone::Rules {
    std::string name;
    const date::time_zone* tz = nullptr;  // nullptr means UTC; the tzdb owns it
    std::optional<PosixTzRule> footer;    // applies from footer_from on
    SysSeconds footer_from{};
    // The footer's segments from footer_from to kFooterTableEnd, worked out once: a binary
    // search is several times cheaper than working a segment out of the rule (schedule_bench's
    // segment_at rows).
    std::vector<ZoneSegment> footer_segments;
};

namespace {

// The footer rule of a zone's TZif file, if it has one that parses. A zone whose file cannot be
// read or states no rule keeps its last listed offset after its last transition, as before.
void load_footer(Zone::Rules& rules) {
    auto tail = read_tzif_tail(kZoneInfoDir + rules.name);
    if (!tail || tail->footer.empty()) return;
    auto rule = PosixTzRule::parse(tail->footer);
    if (!rule) return;
    rules.footer = *rule;
    rules.footer_from = tail->last_transition.value_or(kFarPast);
    for (SysSeconds t = rules.footer_from; t < kFooterTableEnd;) {
        ZoneSegment segment = rule->segment_at(t);
        segment.begin = std::max(segment.begin, rules.footer_from);
        rules.footer_segments.push_back(segment);
        t = segment.end;
    }
}

// One Rules per zone for the life of the process: a task's schedule holds a pointer, not a copy.
const Zone::Rules& cached_rules(const date::time_zone* tz) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<Zone::Rules>, std::less<>> cache;
    const std::lock_guard lock(mutex);
    auto& slot = cache[std::string(tz->name())];
    if (!slot) {
        slot = std::make_unique<Zone::Rules>();
        slot->name = std::string(tz->name());
        slot->tz = tz;
        load_footer(*slot);
    }
    return *slot;
}

const Zone::Rules kUtcRules{
    .name = "UTC", .tz = nullptr, .footer = std::nullopt, .footer_from = {}, .footer_segments = {}};

}  // namespace

Zone Zone::utc() {
    return Zone(&kUtcRules);
}

const std::string& Zone::name() const {
    return rules_->name;
}

std::expected<Zone, std::string> Zone::locate(std::string_view name) {
    if (name == "UTC" || name == "Etc/UTC" || name == "Z") return utc();
    try {
        const date::time_zone* tz =
            name == "local" ? date::current_zone() : date::locate_zone(name);
        return Zone(&cached_rules(tz));
    } catch (const std::exception&) {
        if (name == "local") return std::unexpected("cannot determine the system time zone");
        std::vector<std::string> known;
        for (const date::time_zone& zone : date::get_tzdb().zones) known.emplace_back(zone.name());
        return std::unexpected("unknown time zone \"" + std::string(name) + "\"" +
                               did_you_mean(closest_match(name, known)));
    }
}

ZoneSegment Zone::segment_at(SysSeconds t) const {
    if (rules_->tz == nullptr) return {kFarPast, kFarFuture, std::chrono::seconds{0}};
    if (rules_->footer && t >= rules_->footer_from) {
        const auto& table = rules_->footer_segments;
        if (!table.empty() && t < table.back().end) {
            return *std::ranges::prev(std::ranges::upper_bound(table, t, {}, &ZoneSegment::begin));
        }
        ZoneSegment segment = rules_->footer->segment_at(t);
        segment.begin = std::max(segment.begin, rules_->footer_from);
        return segment;
    }
    const date::sys_info info = rules_->tz->get_info(t);
    ZoneSegment segment{info.begin, info.end, info.offset};
    if (rules_->footer) segment.end = std::min(segment.end, rules_->footer_from);
    return segment;
}

}  // namespace tasksrun

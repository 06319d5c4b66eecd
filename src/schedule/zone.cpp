#include "schedule/zone.hpp"

#include <stdexcept>
#include <vector>

#include "util/suggest.hpp"

namespace tasksrun {

Zone Zone::utc() {
    return Zone("UTC", nullptr);
}

std::expected<Zone, std::string> Zone::locate(std::string_view name) {
    if (name == "UTC" || name == "Etc/UTC" || name == "Z") return utc();
    try {
        if (name == "local") {
            const date::time_zone* tz = date::current_zone();
            return Zone(std::string(tz->name()), tz);
        }
        const date::time_zone* tz = date::locate_zone(name);
        return Zone(std::string(name), tz);
    } catch (const std::exception&) {
        if (name == "local") return std::unexpected("cannot determine the system time zone");
        std::vector<std::string> known;
        for (const date::time_zone& zone : date::get_tzdb().zones) known.emplace_back(zone.name());
        return std::unexpected("unknown time zone \"" + std::string(name) + "\"" +
                               did_you_mean(closest_match(name, known)));
    }
}

ZoneSegment Zone::segment_at(SysSeconds t) const {
    if (tz_ == nullptr) {
        return {kFarPast, kFarFuture, std::chrono::seconds{0}};
    }
    const date::sys_info info = tz_->get_info(t);
    return {info.begin, info.end, info.offset};
}

}  // namespace tasksrun

#include "runtime/reboot.hpp"

#include <algorithm>
#include <fstream>

#include "log/logger.hpp"
#include "state/state_store.hpp"

namespace tasksrun {

std::optional<std::string> read_boot_id(const std::string& path) {
    std::ifstream in(path);
    std::string id;
    if (!std::getline(in, id) || id.empty()) return std::nullopt;
    return id;
}

RebootDecision decide_reboot_start(StateStore& store, std::string_view task,
                                   std::string_view boot_id, Instant now) {
    const auto previous = store.last_reboot_start(task);
    if (!previous) return {std::nullopt, previous.error()};
    if (*previous && (*previous)->boot_id == boot_id)
        return {std::min((*previous)->started, now), std::nullopt};
    auto recorded = store.record_reboot_start(task, boot_id, now);
    return {std::nullopt, recorded ? std::nullopt : std::optional(recorded.error())};
}

std::optional<Instant> reboot_resume_point(StateStore* store, Logger& logger, std::string_view task,
                                           std::optional<Instant> handed_over, Instant now) {
    const auto boot_id = store != nullptr ? read_boot_id() : std::nullopt;
    if (!boot_id) return handed_over;
    const RebootDecision decision = decide_reboot_start(*store, task, *boot_id, now);
    if (decision.error) {
        logger.message(LogLevel::warn,
                       "@reboot: the state database failed, so this boot's starts may not be "
                       "known: " +
                           *decision.error,
                       task);
    }
    return decision.resume_after;
}

}  // namespace tasksrun

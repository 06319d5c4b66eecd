#pragma once
// @reboot (SPEC 12): a task whose one slot is its loop's start. It runs when the daemon starts,
// and, when state persists, at most once per boot: the state database records the kernel's boot
// id with each start, so a daemon restarted within the same boot does not run it again.
#include <optional>
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

class Logger;
class StateStore;

inline constexpr const char* kBootIdPath = "/proc/sys/kernel/random/boot_id";

// The kernel's id of the running boot, or nullopt if `path` cannot be read.
std::optional<std::string> read_boot_id(const std::string& path = kBootIdPath);

struct RebootDecision {
    // As Loop::start takes it: nullopt runs the task at this start; an instant (its earlier
    // start in this boot, never after `now`) leaves it no slot.
    std::optional<Instant> resume_after;
    // Reading or recording the start failed: the task runs, since whether it already ran in
    // this boot is unknown.
    std::optional<std::string> error;
};

// With state: the task runs unless it already started in boot `boot_id`. A start that runs is
// recorded before it runs, so that a crash loses at most that run, never runs it twice.
RebootDecision decide_reboot_start(StateStore& store, std::string_view task,
                                   std::string_view boot_id, Instant now);

// The decision for a runner starting at `now`. Without a store, or without a readable boot id,
// only a loop that a reload replaced hands over a start (`handed_over`): the task runs once per
// start of its loop otherwise. Logs a failed read or write as a warning.
std::optional<Instant> reboot_resume_point(StateStore* store, Logger& logger, std::string_view task,
                                           std::optional<Instant> handed_over, Instant now);

}  // namespace tasksrun

#pragma once
// TOML text -> validated Config, or every problem found (SPEC section 3).
#include <toml++/toml.h>

#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/diagnostics.hpp"

namespace tasksrun {

struct LoadResult {
    std::optional<Config> config;  // set only when there is no error (warnings may exist)
    Diagnostics diagnostics;
};

// Validates `text` as the content of `file_name` (used in messages only). Pure: reads nothing
// but the time zone database.
LoadResult parse_config(std::string_view text, const std::string& file_name);

// Reads `path` and parses it; an unreadable file is one diagnostic for the file as a whole.
LoadResult load_config_file(const std::string& path);

// A schedule on its own, as `ctl change-interval` gives it: the schedule keys of a [[task]]
// (seconds/minutes/hours, time or cron, with timezone, dst_gap and dst_fold), validated as the
// config file's are. Time and cron use `default_zone` unless `timezone` is given; H in a cron
// expression hashes `hash_key` (the task's name). @reboot is refused: it only means something
// when a loop starts. On failure, every problem, one per line.
std::expected<Schedule, std::string> parse_schedule_keys(const toml::table& keys,
                                                         const Zone& default_zone,
                                                         std::string_view hash_key);

}  // namespace tasksrun

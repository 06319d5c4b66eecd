#pragma once
// TOML text -> validated Config, or every problem found (SPEC section 3).
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

}  // namespace tasksrun

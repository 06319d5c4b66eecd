#pragma once
// What tasksrun reads from a compiled TZif file (RFC 8536) itself, beyond what the tz library
// gives: its last listed transition and its footer, the POSIX TZ rule for every instant after
// that transition. Debian's date/tz reads the transitions but not the footer, so without this
// no transition would exist after the last listed one (2037 in Debian's files).
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

struct TzifTail {
    std::optional<SysSeconds> last_transition;  // none: the file lists no transition
    std::string footer;                         // empty: a version 1 file, or no rule stated
};

// Parses the bytes of a TZif file. Returns a message on a file that is not TZif or is cut short.
std::expected<TzifTail, std::string> parse_tzif_tail(std::string_view bytes);

// Reads and parses the file at `path`. Returns a message naming the path on failure.
std::expected<TzifTail, std::string> read_tzif_tail(const std::string& path);

}  // namespace tasksrun

#pragma once
// Reading UTF-8 one sequence at a time, for the log writers that must pass valid text through
// and neutralise the rest.
#include <cstddef>
#include <string_view>

namespace tasksrun {

struct Utf8Sequence {
    std::size_t length;  // bytes taken: the sequence, or the maximal part of a broken one
    bool valid;
};

// The UTF-8 sequence at the start of `text` (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF). A broken one takes its lead byte and the continuation bytes that were
// still acceptable, so it becomes one U+FFFD, as Unicode recommends and nlohmann does.
// Precondition: `text` is not empty.
Utf8Sequence utf8_sequence(std::string_view text);

}  // namespace tasksrun

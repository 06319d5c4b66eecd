#pragma once
// UTF-8 as tasksrun meets it: text to count the way Discord counts, to cut without splitting a
// character, and to pass through log writers that must neutralise what is not UTF-8.
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

// Unicode code points in UTF-8 text: how Discord counts characters. Each byte that is not a
// continuation byte (10xxxxxx) starts one.
std::size_t code_points(std::string_view text);

// The first / last `count` code points of `text` (all of it when it has fewer).
std::string_view first_code_points(std::string_view text, std::size_t count);
std::string_view last_code_points(std::string_view text, std::size_t count);

}  // namespace tasksrun

#pragma once
// "Did you mean" for misspelt keys, enum values, webhook names and zones.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace tasksrun {

// The candidate closest to `word` by edit distance (a transposition counts as one edit), if it
// is close enough to be a plausible typo: at most 1 edit for short words, 2 for longer ones.
// Case is ignored. Ties go to the earlier candidate.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string> candidates);

// "; did you mean \"x\"?" or "" — the usual tail of an error message.
std::string did_you_mean(const std::optional<std::string>& suggestion);

}  // namespace tasksrun

#pragma once
// What `check` (and every load) asks of a literal webhook URL beyond its scheme: nothing that a
// URL cannot contain (RFC 3986), so that a pasted URL with a space or a stray quote is an error
// at its line and column, not a failed request at 3 a.m. Pure.
#include <optional>
#include <string>
#include <string_view>

namespace tasksrun {

// What is wrong with `url` for people, naming the character and its position (1-based) but
// never the URL itself (it carries a token); nullopt when every character may appear in a URL
// and each '%' starts an escape of two hex digits.
std::optional<std::string> url_character_problem(std::string_view url);

}  // namespace tasksrun

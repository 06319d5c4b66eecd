#pragma once
// A location inside a JSON body ("embeds[0].fields[2].value"), used to tie a body problem
// found on JSON back to the TOML node it came from.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <variant>
#include <vector>

namespace tasksrun {

using JsonPathStep = std::variant<std::string, std::size_t>;
using JsonPath = std::vector<JsonPathStep>;

// "/embeds/0/title", to reach the value with nlohmann's at().
inline nlohmann::json::json_pointer json_pointer(const JsonPath& path) {
    nlohmann::json::json_pointer pointer;
    for (const JsonPathStep& step : path) {
        if (const auto* key = std::get_if<std::string>(&step)) {
            pointer /= *key;
        } else {
            pointer /= std::get<std::size_t>(step);
        }
    }
    return pointer;
}

inline std::string to_string(const JsonPath& path) {
    std::string text;
    for (const JsonPathStep& step : path) {
        if (const auto* key = std::get_if<std::string>(&step)) {
            text += (text.empty() ? "" : ".") + *key;
        } else {
            text += "[" + std::to_string(std::get<std::size_t>(step)) + "]";
        }
    }
    return text;
}

}  // namespace tasksrun

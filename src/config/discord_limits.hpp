#pragma once
// Discord's documented message limits, checked on a webhook JSON body. Used on static text at
// `check` time (placeholders count as empty) and on the expanded body at send time.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/json_path.hpp"

namespace tasksrun {

struct BodyProblem {
    JsonPath path;
    std::string message;
};

// How many characters a string counts for: code points, or code points outside placeholders.
using TextLength = std::function<std::size_t(std::string_view)>;

// Content 2000, username 80, 10 embeds, 6000 characters of embed text in all, title 256,
// description 4096, 25 fields, field name 256 and value 1024, footer 2048, author name 256;
// and a message needs content or an embed.
std::vector<BodyProblem> check_discord_limits(const nlohmann::json& body, const TextLength& length);

}  // namespace tasksrun

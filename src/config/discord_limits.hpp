#pragma once
// The length limits of Discord's and Slack's message bodies, as one table of limited text fields.
// `check` applies them to the text written in the file (placeholders count as empty); at send
// time actions/ keeps every templated field within them by cutting placeholder values.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/json_path.hpp"

namespace tasksrun {

struct BodyProblem {
    JsonPath path;
    std::string message;
};

inline constexpr std::size_t kDiscordEmbedTextTotalMax = 6000;

// The limited fields present in `body` (a Discord or Slack body), in document order: Discord's
// content 2000, username 80, embed title 256, description 4096, field name 256 and value 1024,
// footer 2048, author name 256; Slack's text 40,000. Generic bodies have none.
std::vector<LimitedText> limited_texts(WebhookKind kind, const nlohmann::json& body);

// How many characters a string counts for: code points, or code points outside placeholders.
using TextLength = std::function<std::size_t(std::string_view)>;

// Every limit broken by `body`: each field of limited_texts, Discord's 6000 characters of embed
// text in all, 10 embeds, 25 fields an embed; and a Discord message needs content or an embed.
std::vector<BodyProblem> check_body_limits(WebhookKind kind, const nlohmann::json& body,
                                           const TextLength& length);

}  // namespace tasksrun

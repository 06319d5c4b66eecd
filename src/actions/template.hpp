#pragma once
// Expansion of {{placeholders}} in webhook bodies and headers at send time. Values go into JSON
// strings through the JSON library, so whatever a command printed, the body stays valid JSON.
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "config/discord_limits.hpp"
#include "config/templates.hpp"

namespace tasksrun {

// A value for each placeholder; those a scope does not offer stay empty.
struct TemplateValues {
    std::array<std::string, kPlaceholderCount> by_placeholder;

    std::string& operator[](Placeholder p) { return by_placeholder[static_cast<std::size_t>(p)]; }
    const std::string& operator[](Placeholder p) const {
        return by_placeholder[static_cast<std::size_t>(p)];
    }
};

// Replaces each {{ name }} with its value; unknown names (refused at check time) and an
// unclosed "{{" are left as written.
std::string expand(std::string_view text, const TemplateValues& values);
// The same for every string inside a JSON document (keys are left alone).
nlohmann::json expand_json(const nlohmann::json& document, const TemplateValues& values);
// A header value: expanded, with CR and LF removed so that no value can add a header.
std::string expand_header(std::string_view text, const TemplateValues& values);

// The mark where a value was cut to fit.
inline constexpr std::string_view kCutMark = "\u2026";  // …

// Expands `text` into at most `max` characters (code points) by cutting placeholder values, the
// longest first, when the whole would be longer; literal text is never cut (check refuses a
// literal over a limit). A cut value is marked with "…": {{output}} and {{output_tail}} keep their
// end, where a command's result is, other values their start.
std::string expand_within(std::string_view text, const TemplateValues& values, std::size_t max);

// expand_json, with each field of `limits` kept within its max and, together, the fields that
// are embed text within `embed_text_max` (SPEC 10.3: a templated field is always sent within the
// platform's limits).
nlohmann::json expand_json_within(const nlohmann::json& document, const TemplateValues& values,
                                  const std::vector<LimitedText>& limits,
                                  std::size_t embed_text_max);

}  // namespace tasksrun

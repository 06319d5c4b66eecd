#pragma once
// Expansion of {{placeholders}} in webhook bodies and headers at send time. Values go into JSON
// strings through the JSON library, so whatever a command printed, the body stays valid JSON.
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

}  // namespace tasksrun

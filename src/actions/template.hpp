#pragma once
// Expansion of {{placeholders}} in webhook bodies and headers at send time. Values go into JSON
// strings through the JSON library, so whatever a command printed, the body stays valid JSON.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace tasksrun {

struct TemplateValues {
    std::string task;
    std::string loop;
    std::string scheduled_at;
    std::string now;
    std::string hostname;
    // Hooks only; empty elsewhere.
    std::string error;
    std::string exit_code;
    std::string http_status;
    std::string output_tail;
    std::string duration;

    const std::string* find(std::string_view name) const;
};

// Replaces each {{ name }} with its value; unknown names (refused at check time) and an
// unclosed "{{" are left as written.
std::string expand(std::string_view text, const TemplateValues& values);
// The same for every string inside a JSON document (keys are left alone).
nlohmann::json expand_json(const nlohmann::json& document, const TemplateValues& values);
// A header value: expanded, with CR and LF removed so that no value can add a header.
std::string expand_header(std::string_view text, const TemplateValues& values);

}  // namespace tasksrun

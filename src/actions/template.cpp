#include "actions/template.hpp"

#include <algorithm>

namespace tasksrun {

std::string expand(std::string_view text, const TemplateValues& values) {
    std::string out;
    out.reserve(text.size());
    for_each_token(text, [&](const TemplateToken& token) {
        const auto placeholder = token.kind == TemplateToken::Kind::placeholder
                                     ? find_placeholder(token.name)
                                     : std::nullopt;
        out.append(placeholder ? std::string_view(values[*placeholder]) : token.text);
    });
    return out;
}

nlohmann::json expand_json(const nlohmann::json& document, const TemplateValues& values) {
    if (document.is_string()) return expand(document.get_ref<const std::string&>(), values);
    if (document.is_object()) {
        nlohmann::json object = nlohmann::json::object();
        for (const auto& [key, item] : document.items()) object[key] = expand_json(item, values);
        return object;
    }
    if (document.is_array()) {
        nlohmann::json array = nlohmann::json::array();
        for (const auto& item : document) array.push_back(expand_json(item, values));
        return array;
    }
    return document;
}

std::string expand_header(std::string_view text, const TemplateValues& values) {
    std::string value = expand(text, values);
    std::erase_if(value, [](char c) { return c == '\r' || c == '\n'; });
    return value;
}

}  // namespace tasksrun

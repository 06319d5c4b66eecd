#include "actions/template.hpp"

#include <algorithm>

namespace tasksrun {

const std::string* TemplateValues::find(std::string_view name) const {
    if (name == "task") return &task;
    if (name == "loop") return &loop;
    if (name == "scheduled_at") return &scheduled_at;
    if (name == "now") return &now;
    if (name == "hostname") return &hostname;
    if (name == "error") return &error;
    if (name == "exit_code") return &exit_code;
    if (name == "http_status") return &http_status;
    if (name == "output_tail") return &output_tail;
    if (name == "duration") return &duration;
    return nullptr;
}

std::string expand(std::string_view text, const TemplateValues& values) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        const std::size_t close = open == std::string_view::npos ? open : text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        std::string_view name = text.substr(open + 2, close - open - 2);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (const std::string* value = values.find(name)) {
            out.append(*value);
        } else {
            out.append(text.substr(open, close + 2 - open));
        }
        pos = close + 2;
    }
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

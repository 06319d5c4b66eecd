#include "actions/template.hpp"

#include <algorithm>
#include <numeric>

#include "util/utf8.hpp"

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

namespace {

bool keeps_end(Placeholder placeholder) {
    return placeholder == Placeholder::output || placeholder == Placeholder::output_tail;
}

// `value` in at most `room` characters, the mark included.
std::string cut(std::string_view value, std::size_t room, bool keep_end) {
    if (code_points(value) <= room) return std::string(value);
    if (room == 0) return {};
    if (keep_end) return std::string(kCutMark) + std::string(last_code_points(value, room - 1));
    return std::string(first_code_points(value, room - 1)) + std::string(kCutMark);
}

// How much room each of `lengths` gets out of `budget`: the shortest keep all they have, and
// the rest share what is left equally (water filling), so that one huge value is cut before a
// short one is touched.
std::vector<std::size_t> share(const std::vector<std::size_t>& lengths, std::size_t budget) {
    std::vector<std::size_t> order(lengths.size());
    std::iota(order.begin(), order.end(), 0);
    std::ranges::sort(order, {}, [&](std::size_t i) { return lengths[i]; });
    std::vector<std::size_t> room(lengths.size());
    std::size_t left = budget;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const std::size_t fair = left / (order.size() - k);
        room[order[k]] = std::min(lengths[order[k]], fair);
        left -= room[order[k]];
    }
    return room;
}

}  // namespace

std::string expand_within(std::string_view text, const TemplateValues& values, std::size_t max) {
    std::size_t literal = 0;
    std::vector<Placeholder> used;
    std::vector<std::size_t> lengths;
    for_each_token(text, [&](const TemplateToken& token) {
        const auto placeholder = token.kind == TemplateToken::Kind::placeholder
                                     ? find_placeholder(token.name)
                                     : std::nullopt;
        if (!placeholder) {
            literal += code_points(token.text);
            return;
        }
        used.push_back(*placeholder);
        lengths.push_back(code_points(values[*placeholder]));
    });
    const std::size_t total = std::accumulate(lengths.begin(), lengths.end(), literal);
    if (total <= max) return expand(text, values);
    const std::vector<std::size_t> room = share(lengths, max > literal ? max - literal : 0);
    std::string out;
    std::size_t next = 0;
    for_each_token(text, [&](const TemplateToken& token) {
        const auto placeholder = token.kind == TemplateToken::Kind::placeholder
                                     ? find_placeholder(token.name)
                                     : std::nullopt;
        if (!placeholder) {
            out.append(token.text);
            return;
        }
        out += cut(values[*placeholder], room[next++], keeps_end(*placeholder));
    });
    return out;
}

nlohmann::json expand_json_within(const nlohmann::json& document, const TemplateValues& values,
                                  const std::vector<LimitedText>& limits,
                                  std::size_t embed_text_max) {
    nlohmann::json expanded = expand_json(document, values);
    struct Sized {
        const LimitedText* field;
        std::size_t length;
    };
    std::vector<Sized> embed_texts;
    std::size_t embed_total = 0;
    for (const LimitedText& field : limits) {
        const std::string& text = document.at(field.pointer).get_ref<const std::string&>();
        std::string& value = expanded.at(field.pointer).get_ref<std::string&>();
        if (code_points(value) > field.max) value = expand_within(text, values, field.max);
        if (!field.embed_text) continue;
        embed_texts.push_back({&field, code_points(value)});
        embed_total += embed_texts.back().length;
    }
    // Over the total: take what is too much from the longest templated fields first.
    std::ranges::sort(embed_texts, std::greater{}, &Sized::length);
    for (const Sized& sized : embed_texts) {
        if (embed_total <= embed_text_max) break;
        const auto& pointer = sized.field->pointer;
        const std::string& text = document.at(pointer).get_ref<const std::string&>();
        const std::size_t excess = embed_total - embed_text_max;
        const std::size_t target = sized.length > excess ? sized.length - excess : 0;
        std::string& value = expanded.at(pointer).get_ref<std::string&>();
        value = expand_within(text, values, target);
        embed_total -= sized.length - std::min(sized.length, code_points(value));
    }
    return expanded;
}

}  // namespace tasksrun

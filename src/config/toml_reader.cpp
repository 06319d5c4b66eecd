#include "config/toml_reader.hpp"

#include "util/byte_size.hpp"
#include "util/duration.hpp"

namespace tasksrun {

SourcePosition position_of(const toml::node& node) {
    return {node.source().begin.line, node.source().begin.column};
}

SourcePosition position_of(const toml::key& key) {
    return {key.source().begin.line, key.source().begin.column};
}

std::string_view type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

void TomlReader::error(const toml::node& at, std::string message) {
    diagnostics_.error(position_of(at), std::move(message));
}

SourcePosition TomlReader::key_position(const toml::table& table, std::string_view key) const {
    for (const auto& [k, value] : table) {
        if (k.str() == key) return position_of(k);
    }
    return position_of(table);
}

void TomlReader::reject_unknown_keys(const toml::table& table,
                                     std::span<const std::string_view> allowed,
                                     std::string_view where) {
    for (const auto& [key, value] : table) {
        if (std::ranges::find(allowed, key.str()) != allowed.end()) continue;
        diagnostics_.error(position_of(key), "unknown key \"" + std::string(key.str()) + "\" in " +
                                                 std::string(where) +
                                                 did_you_mean(closest_match(key.str(), allowed)));
    }
}

void TomlReader::type_error(const toml::node& value, std::string_view key,
                            std::string_view expected) {
    error(value, "\"" + std::string(key) + "\" must be " + std::string(expected) + ", not " +
                     std::string(type_name(value)));
}

template <typename T>
std::optional<T> TomlReader::scalar(const toml::table& table, std::string_view key,
                                    std::string_view expected) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* value = node->as<T>()) return value->get();
    type_error(*node, key, expected);
    return std::nullopt;
}

std::optional<std::string> TomlReader::string(const toml::table& table, std::string_view key) {
    return scalar<std::string>(table, key, "a string");
}

std::optional<bool> TomlReader::boolean(const toml::table& table, std::string_view key) {
    return scalar<bool>(table, key, "true or false");
}

std::optional<std::int64_t> TomlReader::integer(const toml::table& table, std::string_view key) {
    return scalar<std::int64_t>(table, key, "an integer");
}

std::optional<double> TomlReader::number(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    if (const auto* i = node->as_integer()) return static_cast<double>(i->get());
    if (const auto* f = node->as_floating_point()) return f->get();
    type_error(*node, key, "a number");
    return std::nullopt;
}

std::optional<Duration> TomlReader::duration(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    std::expected<Duration, std::string> parsed;
    if (const auto* s = node->as_string()) {
        parsed = parse_duration(s->get());
    } else if (const auto* i = node->as_integer()) {
        parsed = duration_from_seconds(static_cast<double>(i->get()));
    } else if (const auto* f = node->as_floating_point()) {
        parsed = duration_from_seconds(f->get());
    } else {
        type_error(*node, key, "a duration such as \"30s\" or a number of seconds");
        return std::nullopt;
    }
    if (!parsed) {
        error(*node, "\"" + std::string(key) + "\": " + parsed.error());
        return std::nullopt;
    }
    return *parsed;
}

std::optional<std::uint64_t> TomlReader::byte_size(const toml::table& table, std::string_view key,
                                                   std::uint64_t min, std::uint64_t max) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    std::expected<std::uint64_t, std::string> parsed;
    if (const auto* s = node->as_string()) {
        parsed = parse_byte_size(s->get());
    } else if (const auto* i = node->as_integer(); i != nullptr && i->get() >= 0) {
        parsed = static_cast<std::uint64_t>(i->get());
    } else {
        type_error(*node, key, "a size such as \"1MiB\" or a number of bytes");
        return std::nullopt;
    }
    if (parsed && (*parsed < min || *parsed > max)) {
        parsed = std::unexpected("must be between " + format_byte_size(min) + " and " +
                                 format_byte_size(max));
    }
    if (!parsed) {
        error(*node, "\"" + std::string(key) + "\": " + parsed.error());
        return std::nullopt;
    }
    return *parsed;
}

std::optional<std::vector<std::string>> TomlReader::string_array(const toml::table& table,
                                                                 std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    const toml::array* array = node->as_array();
    if (array == nullptr) {
        type_error(*node, key, "an array of strings");
        return std::nullopt;
    }
    std::vector<std::string> items;
    bool ok = true;
    for (const toml::node& item : *array) {
        if (const auto* s = item.as_string()) {
            items.push_back(s->get());
        } else {
            error(item, "\"" + std::string(key) + "\" must hold strings, not " +
                            std::string(type_name(item)));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return items;
}

std::optional<std::map<std::string, std::string>> TomlReader::string_table(const toml::table& table,
                                                                           std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return std::nullopt;
    const toml::table* inner = node->as_table();
    if (inner == nullptr) {
        type_error(*node, key, "a table of strings");
        return std::nullopt;
    }
    std::map<std::string, std::string> values;
    bool ok = true;
    for (const auto& [k, v] : *inner) {
        if (const auto* s = v.as_string()) {
            values.emplace(std::string(k.str()), s->get());
        } else {
            error(v, "\"" + std::string(key) + "." + std::string(k.str()) +
                         "\" must be a string, not " + std::string(type_name(v)));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return values;
}

const toml::table* TomlReader::table(const toml::table& table, std::string_view key) {
    const toml::node* node = table.get(key);
    if (node == nullptr) return nullptr;
    if (const auto* t = node->as_table()) return t;
    type_error(*node, key, "a table");
    return nullptr;
}

void TomlReader::report_bad_choice(const toml::node& value, std::string_view key,
                                   std::string_view text,
                                   const std::vector<std::string_view>& names) {
    std::string list;
    for (const auto name : names) list += (list.empty() ? "\"" : ", \"") + std::string(name) + "\"";
    error(value, "\"" + std::string(key) + "\" must be one of " + list + ", not \"" +
                     std::string(text) + "\"" + did_you_mean(closest_match(text, names)));
}

}  // namespace tasksrun

#pragma once
// Typed access to toml++ tables that reports every problem to Diagnostics with the position of
// the offending key or value, instead of throwing. A getter returns nullopt both when the key
// is absent and when it is invalid; in the second case an error has been recorded.
#include <toml++/toml.h>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostics.hpp"
#include "util/suggest.hpp"

namespace tasksrun {

SourcePosition position_of(const toml::node& node);
SourcePosition position_of(const toml::key& key);
std::string_view type_name(const toml::node& node);

template <typename Enum>
using Choices = std::span<const std::pair<std::string_view, Enum>>;

class TomlReader {
  public:
    explicit TomlReader(Diagnostics& diagnostics) : diagnostics_(diagnostics) {}

    Diagnostics& diagnostics() { return diagnostics_; }
    void error(const toml::node& at, std::string message);
    void error(SourcePosition at, std::string message) {
        diagnostics_.error(at, std::move(message));
    }

    // Where `key` is written in `table` (the table's own position if it is absent).
    SourcePosition key_position(const toml::table& table, std::string_view key) const;

    // Reports each key not in `allowed`, naming `where` ("[[task]]") and suggesting the closest
    // allowed key.
    void reject_unknown_keys(const toml::table& table, std::span<const std::string_view> allowed,
                             std::string_view where);

    std::optional<std::string> string(const toml::table& table, std::string_view key);
    std::optional<bool> boolean(const toml::table& table, std::string_view key);
    std::optional<std::int64_t> integer(const toml::table& table, std::string_view key);
    // An integer or a float.
    std::optional<double> number(const toml::table& table, std::string_view key);
    // A string like "1h30m" or a number of seconds.
    std::optional<Duration> duration(const toml::table& table, std::string_view key);
    // A string like "1MiB" or a number of bytes, within [min, max].
    std::optional<std::uint64_t> byte_size(const toml::table& table, std::string_view key,
                                           std::uint64_t min, std::uint64_t max);
    // An array of strings.
    std::optional<std::vector<std::string>> string_array(const toml::table& table,
                                                         std::string_view key);
    // A table whose values are all strings.
    std::optional<std::map<std::string, std::string>> string_table(const toml::table& table,
                                                                   std::string_view key);
    const toml::table* table(const toml::table& table, std::string_view key);

    // A string that must be one of `choices`.
    template <typename Enum>
    std::optional<Enum> choice(const toml::table& table, std::string_view key,
                               Choices<Enum> choices) {
        auto text = string(table, key);
        if (!text) return std::nullopt;
        for (const auto& [name, value] : choices) {
            if (*text == name) return value;
        }
        report_bad_choice(*table.get(key), key, *text, names_of(choices));
        return std::nullopt;
    }

    void type_error(const toml::node& value, std::string_view key, std::string_view expected);

  private:
    // A value of TOML type T (std::string, bool, std::int64_t), or a type error naming `expected`.
    template <typename T>
    std::optional<T> scalar(const toml::table& table, std::string_view key,
                            std::string_view expected);
    template <typename Enum>
    static std::vector<std::string_view> names_of(Choices<Enum> choices) {
        std::vector<std::string_view> names;
        for (const auto& choice : choices) names.push_back(choice.first);
        return names;
    }
    void report_bad_choice(const toml::node& value, std::string_view key, std::string_view text,
                           const std::vector<std::string_view>& names);

    Diagnostics& diagnostics_;
};

}  // namespace tasksrun

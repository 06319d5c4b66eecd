#include "loop/failure_class.hpp"

#include <array>
#include <charconv>
#include <utility>

#include "util/suggest.hpp"

namespace tasksrun {
namespace {

constexpr std::array<std::pair<std::string_view, FailureKind>, 7> kNamedKinds = {{
    {"network", FailureKind::network},
    {"timeout", FailureKind::timeout},
    {"http-429", FailureKind::http_429},
    {"http-5xx", FailureKind::http_5xx},
    {"http-4xx", FailureKind::http_4xx},
    {"signal", FailureKind::signal},
    {"spawn", FailureKind::spawn},
}};

std::string_view kind_name(FailureKind kind) {
    for (const auto& [name, named] : kNamedKinds) {
        if (named == kind) return name;
    }
    return "exit";
}

}  // namespace

bool FailurePattern::matches(const FailureClass& failure) const {
    if (failure.kind != kind) return false;
    return kind != FailureKind::exit_code || !exit_code || *exit_code == failure.exit_code;
}

std::expected<FailurePattern, std::string> parse_failure_pattern(std::string_view text) {
    for (const auto& [name, kind] : kNamedKinds) {
        if (text == name) return FailurePattern{kind, std::nullopt};
    }
    if (text.starts_with("exit:")) {
        const std::string_view code = text.substr(5);
        if (code == "any") return FailurePattern{FailureKind::exit_code, std::nullopt};
        int value = 0;
        const auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), value);
        if (ec == std::errc{} && end == code.data() + code.size() && value >= 1 && value <= 255) {
            return FailurePattern{FailureKind::exit_code, value};
        }
        return std::unexpected("\"" + std::string(text) +
                               "\": an exit code class is exit:1 to exit:255, or exit:any");
    }
    static constexpr std::array<std::string_view, 8> kAll = {
        "network", "timeout", "http-429", "http-5xx", "http-4xx", "signal", "spawn", "exit:any"};
    return std::unexpected("unknown failure class \"" + std::string(text) +
                           "\" (classes: network, timeout, http-429, http-5xx, http-4xx, exit:N, "
                           "exit:any, signal, spawn)" +
                           did_you_mean(closest_match(text, kAll)));
}

std::string to_string(const FailureClass& failure) {
    if (failure.kind == FailureKind::exit_code) return "exit:" + std::to_string(failure.exit_code);
    return std::string(kind_name(failure.kind));
}

std::string to_string(const FailurePattern& pattern) {
    if (pattern.kind == FailureKind::exit_code) {
        return pattern.exit_code ? "exit:" + std::to_string(*pattern.exit_code) : "exit:any";
    }
    return std::string(kind_name(pattern.kind));
}

}  // namespace tasksrun

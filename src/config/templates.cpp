#include "config/templates.hpp"

#include <algorithm>
#include <array>

#include "util/suggest.hpp"

namespace tasksrun {
namespace {

constexpr std::array<std::string_view, 5> kTaskNames = {"task", "loop", "scheduled_at", "now",
                                                        "hostname"};
constexpr std::array<std::string_view, 10> kAllNames = {
    "task",  "loop",      "scheduled_at", "now",         "hostname",
    "error", "exit_code", "http_status",  "output_tail", "duration"};

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

}  // namespace

std::vector<TemplateProblem> check_placeholders(std::string_view text, TemplateScope scope) {
    std::vector<TemplateProblem> problems;
    std::size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string_view::npos) {
        const std::size_t close = text.find("}}", pos + 2);
        if (close == std::string_view::npos) {
            problems.push_back({pos, "unclosed placeholder \"{{\" (write {{name}})"});
            break;
        }
        const std::string_view name = trim(text.substr(pos + 2, close - pos - 2));
        const bool known = std::ranges::find(kAllNames, name) != kAllNames.end();
        const bool task_name = std::ranges::find(kTaskNames, name) != kTaskNames.end();
        if (!known) {
            const auto& names = scope == TemplateScope::hook
                                    ? std::span<const std::string_view>(kAllNames)
                                    : std::span<const std::string_view>(kTaskNames);
            problems.push_back({pos, "unknown placeholder {{" + std::string(name) + "}}" +
                                         did_you_mean(closest_match(name, names))});
        } else if (!task_name && scope == TemplateScope::task) {
            problems.push_back({pos, "placeholder {{" + std::string(name) +
                                         "}} is only available in hooks (on_error, on_success, "
                                         "after_loop, before_loop)"});
        }
        pos = close + 2;
    }
    return problems;
}

std::size_t static_length(std::string_view text) {
    std::size_t length = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        const std::size_t close =
            open == std::string_view::npos ? std::string_view::npos : text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            length += code_points(text.substr(pos));
            break;
        }
        length += code_points(text.substr(pos, open - pos));
        pos = close + 2;
    }
    return length;
}

std::size_t code_points(std::string_view text) {
    // Every UTF-8 code point has exactly one byte that is not a continuation byte (10xxxxxx).
    return static_cast<std::size_t>(std::ranges::count_if(
        text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool has_placeholder(std::string_view text) {
    return text.find("{{") != std::string_view::npos;
}

}  // namespace tasksrun

#pragma once
// The {{placeholders}} of webhook bodies: which names exist and where they may be used.
// Expansion happens at send time (actions/); here they are only validated.
#include <string>
#include <string_view>
#include <vector>

namespace tasksrun {

enum class TemplateScope { task, hook };

struct TemplateProblem {
    std::size_t offset;  // byte offset of the "{{" in the text
    std::string message;
};

// Checks every {{ name }} in `text`: the name must exist, and hook-only names ({{error}},
// {{exit_code}}, ...) are refused in a task's own body. An unclosed "{{" is a problem too.
std::vector<TemplateProblem> check_placeholders(std::string_view text, TemplateScope scope);

// The length `text` will at least have once expanded: its characters (Unicode code points,
// as Discord counts) outside placeholders.
std::size_t static_length(std::string_view text);

// Unicode code points in UTF-8 text: how Discord counts characters.
std::size_t code_points(std::string_view text);

// Whether `text` contains anything that looks like a placeholder.
bool has_placeholder(std::string_view text);

}  // namespace tasksrun

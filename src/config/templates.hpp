#pragma once
// The {{placeholders}} of webhook bodies: the one table of names (with where each may be used
// and the environment variable that carries the same value to commands), and the one tokenizer
// that both the check here and the expansion at send time (actions/) read text with.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasksrun {

// Where a text is used; each scope offers the names of the ones before it.
enum class TemplateScope { task, hook, recover_hook };

enum class Placeholder {
    task,
    loop,
    scheduled_at,
    now,
    hostname,
    error,
    exit_code,
    http_status,
    output,
    output_tail,
    duration,
    attempts,
    failed_iterations,
    down_since,
};
inline constexpr std::size_t kPlaceholderCount = 14;

struct PlaceholderInfo {
    Placeholder placeholder;
    std::string_view name;
    TemplateScope scope;   // the narrowest scope that offers it
    std::string_view env;  // the TASKSRUN_* variable a command sees, or empty
};

const std::array<PlaceholderInfo, kPlaceholderCount>& placeholders();
const PlaceholderInfo& info(Placeholder placeholder);
std::optional<Placeholder> find_placeholder(std::string_view name);

// A piece of template text: literal text, a {{ name }} (name trimmed of spaces), or an unclosed
// "{{" and everything after it.
struct TemplateToken {
    enum class Kind { literal, placeholder, unclosed };
    Kind kind;
    std::string_view text;  // as written, braces included
    std::string_view name;  // for a placeholder
    std::size_t offset;     // of `text` in the whole
};

// Calls `visit(const TemplateToken&)` for each piece of `text`, in order.
template <typename Visit>
void for_each_token(std::string_view text, Visit visit) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            visit(TemplateToken{TemplateToken::Kind::literal, text.substr(pos), {}, pos});
            return;
        }
        if (open > pos) {
            visit(
                TemplateToken{TemplateToken::Kind::literal, text.substr(pos, open - pos), {}, pos});
        }
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            visit(TemplateToken{TemplateToken::Kind::unclosed, text.substr(open), {}, open});
            return;
        }
        std::string_view name = text.substr(open + 2, close - open - 2);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        visit(TemplateToken{TemplateToken::Kind::placeholder, text.substr(open, close + 2 - open),
                            name, open});
        pos = close + 2;
    }
}

struct TemplateProblem {
    std::size_t offset;  // byte offset of the "{{" in the text
    std::string message;
};

// Checks every {{ name }} in `text`: the name must exist and be offered in `scope` ({{error}}
// only in hooks, {{down_since}} only in on_recover). An unclosed "{{" is a problem too.
std::vector<TemplateProblem> check_placeholders(std::string_view text, TemplateScope scope);

// The length `text` will at least have once expanded: its characters (Unicode code points,
// as Discord counts) outside placeholders.
std::size_t static_length(std::string_view text);

// Whether `text` contains anything that looks like a placeholder.
bool has_placeholder(std::string_view text);

}  // namespace tasksrun

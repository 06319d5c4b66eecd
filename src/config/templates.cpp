#include "config/templates.hpp"

#include <algorithm>

#include "util/suggest.hpp"
#include "util/utf8.hpp"

namespace tasksrun {
namespace {

constexpr std::array<PlaceholderInfo, kPlaceholderCount> kPlaceholders = {{
    {Placeholder::task, "task", TemplateScope::task, "TASKSRUN_TASK"},
    {Placeholder::loop, "loop", TemplateScope::task, "TASKSRUN_LOOP"},
    {Placeholder::scheduled_at, "scheduled_at", TemplateScope::task, "TASKSRUN_SCHEDULED_AT"},
    {Placeholder::now, "now", TemplateScope::task, ""},
    {Placeholder::hostname, "hostname", TemplateScope::task, ""},
    {Placeholder::error, "error", TemplateScope::hook, "TASKSRUN_ERROR"},
    {Placeholder::exit_code, "exit_code", TemplateScope::hook, "TASKSRUN_EXIT_CODE"},
    {Placeholder::http_status, "http_status", TemplateScope::hook, "TASKSRUN_HTTP_STATUS"},
    // Too long for an environment variable (a single one is limited to 128 KiB).
    {Placeholder::output, "output", TemplateScope::hook, ""},
    {Placeholder::output_tail, "output_tail", TemplateScope::hook, "TASKSRUN_OUTPUT_TAIL"},
    {Placeholder::duration, "duration", TemplateScope::hook, "TASKSRUN_DURATION"},
    {Placeholder::attempts, "attempts", TemplateScope::hook, "TASKSRUN_ATTEMPTS"},
    {Placeholder::failed_iterations, "failed_iterations", TemplateScope::recover_hook,
     "TASKSRUN_FAILED_ITERATIONS"},
    {Placeholder::down_since, "down_since", TemplateScope::recover_hook, "TASKSRUN_DOWN_SINCE"},
}};

std::string_view scope_text(TemplateScope scope) {
    return scope == TemplateScope::hook
               ? "hooks (on_error, on_success, on_recover, after_loop, before_loop)"
               : "the on_recover hook";
}

}  // namespace

const std::array<PlaceholderInfo, kPlaceholderCount>& placeholders() {
    return kPlaceholders;
}

const PlaceholderInfo& info(Placeholder placeholder) {
    return kPlaceholders[static_cast<std::size_t>(placeholder)];
}

std::optional<Placeholder> find_placeholder(std::string_view name) {
    const auto found = std::ranges::find(kPlaceholders, name, &PlaceholderInfo::name);
    if (found == kPlaceholders.end()) return std::nullopt;
    return found->placeholder;
}

std::vector<TemplateProblem> check_placeholders(std::string_view text, TemplateScope scope) {
    std::vector<TemplateProblem> problems;
    for_each_token(text, [&](const TemplateToken& token) {
        if (token.kind == TemplateToken::Kind::unclosed) {
            problems.push_back({token.offset, "unclosed placeholder \"{{\" (write {{name}})"});
            return;
        }
        if (token.kind != TemplateToken::Kind::placeholder) return;
        const std::string name(token.name);
        const auto placeholder = find_placeholder(token.name);
        if (!placeholder) {
            std::vector<std::string_view> offered;
            for (const PlaceholderInfo& known : kPlaceholders) {
                if (known.scope <= scope) offered.push_back(known.name);
            }
            problems.push_back({token.offset, "unknown placeholder {{" + name + "}}" +
                                                  did_you_mean(closest_match(name, offered))});
        } else if (info(*placeholder).scope > scope) {
            problems.push_back(
                {token.offset, "placeholder {{" + name + "}} is only available in " +
                                   std::string(scope_text(info(*placeholder).scope))});
        }
    });
    return problems;
}

std::size_t static_length(std::string_view text) {
    std::size_t length = 0;
    for_each_token(text, [&](const TemplateToken& token) {
        if (token.kind != TemplateToken::Kind::placeholder) length += code_points(token.text);
    });
    return length;
}

bool has_placeholder(std::string_view text) {
    return text.find("{{") != std::string_view::npos;
}

}  // namespace tasksrun

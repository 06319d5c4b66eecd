#include "config/templates.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

std::vector<std::string> messages(std::string_view text, TemplateScope scope) {
    std::vector<std::string> out;
    for (const auto& p : check_placeholders(text, scope))
        out.push_back(std::to_string(p.offset) + ": " + p.message);
    return out;
}

TEST_CASE("placeholders: known names, hook-only names, typos", "[config][templates]") {
    CHECK(messages("run {{loop}} of {{ task }} at {{scheduled_at}} on {{hostname}} {{now}}",
                   TemplateScope::task)
              .empty());
    CHECK(messages("exit {{exit_code}}: {{output_tail}} {{error}} {{http_status}} {{duration}}",
                   TemplateScope::hook)
              .empty());
    CHECK(messages("exit {{exit_code}}", TemplateScope::task) ==
          std::vector<std::string>{
              "5: placeholder {{exit_code}} is only available in hooks (on_error, "
              "on_success, on_recover, after_loop, before_loop)"});
    CHECK(messages("{{lop}}", TemplateScope::task) ==
          std::vector<std::string>{"0: unknown placeholder {{lop}}; did you mean \"loop\"?"});
    CHECK(messages("a {{task", TemplateScope::task) ==
          std::vector<std::string>{"2: unclosed placeholder \"{{\" (write {{name}})"});
}

TEST_CASE("static length counts code points outside placeholders", "[config][templates]") {
    CHECK(static_length("hello") == 5);
    CHECK(static_length("run {{loop}}!") == 5);
    CHECK(static_length("caf\xC3\xA9") == 4);          // é is two bytes, one character
    CHECK(static_length("\xF0\x9F\x8E\x89 go") == 4);  // an emoji is one code point
    CHECK(static_length("open {{ only") == 12);
}

}  // namespace
}  // namespace tasksrun

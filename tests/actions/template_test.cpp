#include "actions/template.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TemplateValues values() {
    TemplateValues v;
    v[Placeholder::task] = "backup";
    v[Placeholder::loop] = "7";
    v[Placeholder::exit_code] = "3";
    v[Placeholder::output_tail] = "line \"one\"\nline\ttwo \\ {{task}} \xE2\x9C\x93";
    return v;
}

TEST_CASE("templates: placeholders are replaced, spaces allowed, unknown left as written",
          "[actions][template]") {
    CHECK(expand("{{task}} run {{ loop }}", values()) == "backup run 7");
    CHECK(expand("{{nope}} and {{task", values()) == "{{nope}} and {{task");
    CHECK(expand("", values()).empty());
}

TEST_CASE("templates: values never re-expand and stay valid JSON whatever a command printed",
          "[actions][template]") {
    const nlohmann::json body = {{"content", "failed (exit {{exit_code}}): {{output_tail}}"},
                                 {"embeds", {{{"title", "{{task}}"}, {"color", 5}}}}};
    const nlohmann::json expanded = expand_json(body, values());
    CHECK(expanded["content"] ==
          "failed (exit 3): line \"one\"\nline\ttwo \\ {{task}} \xE2\x9C\x93");
    CHECK(expanded["embeds"][0]["title"] == "backup");
    CHECK(expanded["embeds"][0]["color"] == 5);
    // Round trip through the wire form.
    CHECK(nlohmann::json::parse(expanded.dump()) == expanded);
}

TEST_CASE("templates: a header value cannot add a header", "[actions][template]") {
    TemplateValues v;
    v[Placeholder::error] = "oops\r\nX-Injected: yes";
    CHECK(expand_header("error={{error}}", v) == "error=oopsX-Injected: yes");
}

}  // namespace
}  // namespace tasksrun

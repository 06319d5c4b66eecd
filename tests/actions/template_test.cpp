#include "actions/template.hpp"

#include <catch2/catch.hpp>

#include "util/utf8.hpp"

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

TEST_CASE("templates: a value that makes a field too long is cut to fit and marked",
          "[actions][template]") {
    TemplateValues v;
    v[Placeholder::task] = "backup";
    v[Placeholder::output] = "first line\n" + std::string(5000, 'x') + "\nLAST LINE";
    v[Placeholder::error] = "exit status 2: " + std::string(5000, 'e');
    // Output keeps its end, where a command's verdict is.
    const std::string out = expand_within("{{task}} said: {{output}}", v, 2000);
    CHECK(code_points(out) == 2000);
    CHECK(out.starts_with("backup said: \u2026"));
    CHECK(out.ends_with("x\nLAST LINE"));
    // Other values keep their start.
    const std::string err = expand_within("failed: {{error}}", v, 100);
    CHECK(code_points(err) == 100);
    CHECK(err.starts_with("failed: exit status 2: eee"));
    CHECK(err.ends_with("e\u2026"));
    // A short value is left whole while a long one shares what is left.
    const std::string both = expand_within("{{task}} {{output}}", v, 50);
    CHECK(both.starts_with("backup \u2026"));
    CHECK(code_points(both) == 50);
    // Nothing to cut: as expand.
    CHECK(expand_within("{{task}}", v, 10) == "backup");
}

TEST_CASE("templates: every limited field of a body fits, and embeds fit in all",
          "[actions][template]") {
    TemplateValues v;
    v[Placeholder::output] = std::string(9000, 'o') + "END";
    const nlohmann::json discord = {{"content", "{{output}}"},
                                    {"embeds",
                                     {{{"title", "Report"}, {"description", "{{output}}"}},
                                      {{"description", "second: {{output}}"}}}}};
    const auto limits = limited_texts(WebhookKind::discord, discord);
    const nlohmann::json body = expand_json_within(discord, v, limits, kDiscordEmbedTextTotalMax);
    CHECK(code_points(body["content"].get<std::string>()) == 2000);
    CHECK(body["content"].get<std::string>().ends_with("oEND"));
    std::size_t embed_text = 0;
    for (const auto& embed : body["embeds"]) {
        for (const char* key : {"title", "description"}) {
            if (embed.contains(key)) embed_text += code_points(embed[key].get<std::string>());
        }
    }
    CHECK(embed_text <= kDiscordEmbedTextTotalMax);
    CHECK(body["embeds"][0]["description"].get<std::string>().size() > 1000);
    CHECK(body["embeds"][1]["description"].get<std::string>().starts_with("second: \u2026"));
    CHECK(check_body_limits(WebhookKind::discord, body, code_points).empty());

    const nlohmann::json slack = {{"text", "{{output}}{{output}}{{output}}{{output}}{{output}}"}};
    const nlohmann::json slack_body =
        expand_json_within(slack, v, limited_texts(WebhookKind::slack, slack), 0);
    CHECK(code_points(slack_body["text"].get<std::string>()) == 40000);
}

TEST_CASE("templates: a header value cannot add a header", "[actions][template]") {
    TemplateValues v;
    v[Placeholder::error] = "oops\r\nX-Injected: yes";
    CHECK(expand_header("error={{error}}", v) == "error=oopsX-Injected: yes");
}

}  // namespace
}  // namespace tasksrun

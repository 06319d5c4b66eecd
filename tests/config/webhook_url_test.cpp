#include "config/webhook_url.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "config/loader.hpp"

namespace tasksrun {
namespace {

TEST_CASE("webhook URLs: what RFC 3986 allows passes", "[config][webhook_url]") {
    for (const char* url :
         {"https://discord.com/api/webhooks/123/AbC-dEf_gh.ij~kl",
          "https://hooks.slack.com/services/T000/B000/XXXX?a=1&b=2#frag",
          "http://[::1]:8080/path;p=1/%7Euser/it's(ok)*+,!$@", "https://example.com/%20%2f"}) {
        INFO(url);
        CHECK_FALSE(url_character_problem(url).has_value());
    }
}

TEST_CASE("webhook URLs: a character a URL cannot hold is named with its position",
          "[config][webhook_url]") {
    CHECK(url_character_problem("https://a.example/x y") ==
          "contains a space at character 20, which a URL cannot hold (percent-encode it, e.g. a "
          "space as %20)");
    CHECK(url_character_problem("https://a/\"q\"")->starts_with("contains '\"' at character 11"));
    CHECK(url_character_problem("https://a/\t")->starts_with("contains a tab at character 11"));
    CHECK(url_character_problem("https://a/\n")->starts_with("contains a line break"));
    CHECK(url_character_problem("https://a/\xc3\xa9")->starts_with("contains the byte 0xC3"));
    for (const char* bad : {"https://a/<", "https://a/>", "https://a/\\", "https://a/^",
                            "https://a/`", "https://a/{", "https://a/|", "https://a/}"}) {
        INFO(bad);
        CHECK(url_character_problem(bad).has_value());
    }
}

TEST_CASE("webhook URLs: '%' must start an escape", "[config][webhook_url]") {
    CHECK(url_character_problem("https://a/%") ==
          "has a '%' that is not followed by two hex digits at character 11");
    CHECK(url_character_problem("https://a/%2").has_value());
    CHECK(url_character_problem("https://a/%zz").has_value());
}

TEST_CASE("webhook URLs: the config names the file, line and column, never the URL",
          "[config][webhook_url]") {
    const LoadResult result = parse_config(
        "[webhooks.team]\nurl = \"https://discord.com/api/webhooks/1/sec ret\"\n[[task]]\n"
        "name = \"t\"\nseconds = 1\nwebhook = \"team\"\ncontent = \"hi\"\n",
        "t.toml");
    CHECK_FALSE(result.config.has_value());
    CHECK(result.diagnostics.formatted() ==
          std::vector<std::string>{
              "t.toml:2:7: \"url\" of [webhooks.team] contains a space at character 39, which a "
              "URL cannot hold (percent-encode it, e.g. a space as %20)"});
}

}  // namespace
}  // namespace tasksrun

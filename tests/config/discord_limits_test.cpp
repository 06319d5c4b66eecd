#include "config/discord_limits.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

using Json = nlohmann::json;

std::size_t bytes(std::string_view s) {
    return s.size();
}

std::vector<std::string> problems(const Json& body) {
    std::vector<std::string> out;
    for (const auto& p : check_body_limits(WebhookKind::discord, body, bytes))
        out.push_back(to_string(p.path) + ": " + p.message);
    return out;
}

TEST_CASE("Discord limits: content, username, message must not be empty", "[config][discord]") {
    CHECK(problems({{"content", std::string(2000, 'x')}}).empty());
    CHECK(problems({{"content", std::string(2001, 'x')}}) ==
          std::vector<std::string>{
              "content: content is 2001 characters; Discord allows at most 2000"});
    CHECK(
        problems({{"content", "x"}, {"username", std::string(81, 'u')}}) ==
        std::vector<std::string>{"username: username is 81 characters; Discord allows at most 80"});
    CHECK(problems({{"content", ""}}) ==
          std::vector<std::string>{": a Discord message needs \"content\" or \"embeds\""});
}

TEST_CASE("Discord limits: embeds", "[config][discord]") {
    Json embed = {
        {"title", std::string(257, 't')},
        {"description", "d"},
        {"footer", {{"text", std::string(2049, 'f')}}},
        {"author", {{"name", std::string(257, 'a')}}},
        {"fields",
         Json::array({{{"name", std::string(257, 'n')}, {"value", std::string(1025, 'v')}}})}};
    CHECK(problems({{"embeds", Json::array({embed})}}) ==
          std::vector<std::string>{
              "embeds[0].title: embed title is 257 characters; Discord allows at most 256",
              "embeds[0].footer.text: footer text is 2049 characters; Discord allows at most 2048",
              "embeds[0].author.name: author name is 257 characters; Discord allows at most 256",
              "embeds[0].fields[0].name: field name is 257 characters; Discord allows at most 256",
              "embeds[0].fields[0].value: field value is 1025 characters; Discord allows at most "
              "1024"});

    Json many = Json::array();
    for (int i = 0; i < 11; ++i) many.push_back({{"title", "t"}});
    CHECK(problems({{"embeds", many}}) ==
          std::vector<std::string>{"embeds: there are 11 embeds; Discord allows at most 10"});

    Json fields = Json::array();
    for (int i = 0; i < 26; ++i) fields.push_back({{"name", "n"}, {"value", "v"}});
    CHECK(problems({{"embeds", Json::array({{{"fields", fields}}})}}) ==
          std::vector<std::string>{
              "embeds[0].fields: an embed has 26 fields; Discord allows at most 25"});

    Json big = Json::array();
    for (int i = 0; i < 2; ++i) big.push_back({{"description", std::string(3001, 'd')}});
    CHECK(
        problems({{"embeds", big}}) ==
        std::vector<std::string>{
            "embeds: the embeds hold 6002 characters of text; Discord allows at most 6000 in all"});
}

}  // namespace
}  // namespace tasksrun

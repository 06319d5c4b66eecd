#include "config/discord_limits.hpp"

namespace tasksrun {
namespace {

constexpr std::size_t kContentMax = 2000;
constexpr std::size_t kUsernameMax = 80;
constexpr std::size_t kEmbedsMax = 10;
constexpr std::size_t kEmbedTextTotalMax = 6000;
constexpr std::size_t kTitleMax = 256;
constexpr std::size_t kDescriptionMax = 4096;
constexpr std::size_t kFieldsMax = 25;
constexpr std::size_t kFieldNameMax = 256;
constexpr std::size_t kFieldValueMax = 1024;
constexpr std::size_t kFooterTextMax = 2048;
constexpr std::size_t kAuthorNameMax = 256;

class LimitChecker {
  public:
    LimitChecker(const TextLength& length, std::vector<BodyProblem>& problems)
        : length_(length), problems_(problems) {}

    // Length of the string at object[key] (0 if absent), reporting it if over `max`.
    std::size_t text(const nlohmann::json& object, const std::string& key, std::size_t max,
                     JsonPath path, std::string_view what) {
        const auto it = object.find(key);
        if (it == object.end() || !it->is_string()) return 0;
        const std::size_t n = length_(it->get_ref<const std::string&>());
        path.emplace_back(key);
        if (n > max) {
            problems_.push_back({path, std::string(what) + " is " + std::to_string(n) +
                                           " characters; Discord allows at most " +
                                           std::to_string(max)});
        }
        return n;
    }

    std::size_t embed(const nlohmann::json& embed, const JsonPath& path) {
        std::size_t total = text(embed, "title", kTitleMax, path, "embed title");
        total += text(embed, "description", kDescriptionMax, path, "embed description");
        if (const auto footer = embed.find("footer");
            footer != embed.end() && footer->is_object()) {
            total += text(*footer, "text", kFooterTextMax, with(path, "footer"), "footer text");
        }
        if (const auto author = embed.find("author");
            author != embed.end() && author->is_object()) {
            total += text(*author, "name", kAuthorNameMax, with(path, "author"), "author name");
        }
        const auto fields = embed.find("fields");
        if (fields == embed.end() || !fields->is_array()) return total;
        if (fields->size() > kFieldsMax) {
            problems_.push_back({with(path, "fields"), "an embed has " +
                                                           std::to_string(fields->size()) +
                                                           " fields; Discord allows at most " +
                                                           std::to_string(kFieldsMax)});
        }
        for (std::size_t i = 0; i < fields->size(); ++i) {
            JsonPath field_path = with(path, "fields");
            field_path.emplace_back(i);
            total += text((*fields)[i], "name", kFieldNameMax, field_path, "field name");
            total += text((*fields)[i], "value", kFieldValueMax, field_path, "field value");
        }
        return total;
    }

  private:
    static JsonPath with(JsonPath path, std::string key) {
        path.emplace_back(std::move(key));
        return path;
    }

    const TextLength& length_;
    std::vector<BodyProblem>& problems_;
};

}  // namespace

std::vector<BodyProblem> check_discord_limits(const nlohmann::json& body,
                                              const TextLength& length) {
    std::vector<BodyProblem> problems;
    LimitChecker checker(length, problems);
    checker.text(body, "content", kContentMax, {}, "content");
    checker.text(body, "username", kUsernameMax, {}, "username");

    const auto embeds = body.find("embeds");
    const bool has_embeds = embeds != body.end() && embeds->is_array() && !embeds->empty();
    const auto content = body.find("content");
    const bool has_content = content != body.end() && content->is_string() &&
                             !content->get_ref<const std::string&>().empty();
    if (!has_content && !has_embeds) {
        problems.push_back({{}, "a Discord message needs \"content\" or \"embeds\""});
    }
    if (!has_embeds) return problems;
    if (embeds->size() > kEmbedsMax) {
        problems.push_back({{"embeds"},
                            "there are " + std::to_string(embeds->size()) +
                                " embeds; Discord allows at most " + std::to_string(kEmbedsMax)});
    }
    std::size_t total = 0;
    for (std::size_t i = 0; i < embeds->size(); ++i) {
        total += checker.embed((*embeds)[i], JsonPath{std::string("embeds"), i});
    }
    if (total > kEmbedTextTotalMax) {
        problems.push_back({{"embeds"},
                            "the embeds hold " + std::to_string(total) +
                                " characters of text; Discord allows at most " +
                                std::to_string(kEmbedTextTotalMax) + " in all"});
    }
    return problems;
}

}  // namespace tasksrun

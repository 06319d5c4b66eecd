#include "config/discord_limits.hpp"

namespace tasksrun {
namespace {

constexpr std::size_t kContentMax = 2000;
constexpr std::size_t kUsernameMax = 80;
constexpr std::size_t kEmbedsMax = 10;
constexpr std::size_t kTitleMax = 256;
constexpr std::size_t kDescriptionMax = 4096;
constexpr std::size_t kFieldsMax = 25;
constexpr std::size_t kFieldNameMax = 256;
constexpr std::size_t kFieldValueMax = 1024;
constexpr std::size_t kFooterTextMax = 2048;
constexpr std::size_t kAuthorNameMax = 256;
constexpr std::size_t kSlackTextMax = 40'000;

JsonPath with(JsonPath path, JsonPathStep step) {
    path.push_back(std::move(step));
    return path;
}

// Adds object[key] to `out` when it is a string.
void add_text(const nlohmann::json& object, const std::string& key, std::size_t max,
              const JsonPath& path, std::string_view what, bool embed_text,
              std::vector<LimitedText>& out) {
    if (!object.is_object()) return;
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return;
    JsonPath place = with(path, key);
    auto pointer = json_pointer(place);
    out.push_back({std::move(place), std::move(pointer), max, what, embed_text});
}

void add_embed_texts(const nlohmann::json& embed, const JsonPath& path,
                     std::vector<LimitedText>& out) {
    add_text(embed, "title", kTitleMax, path, "embed title", true, out);
    add_text(embed, "description", kDescriptionMax, path, "embed description", true, out);
    if (const auto footer = embed.find("footer"); footer != embed.end()) {
        add_text(*footer, "text", kFooterTextMax, with(path, "footer"), "footer text", true, out);
    }
    if (const auto author = embed.find("author"); author != embed.end()) {
        add_text(*author, "name", kAuthorNameMax, with(path, "author"), "author name", true, out);
    }
    if (const auto fields = embed.find("fields"); fields != embed.end() && fields->is_array()) {
        for (std::size_t i = 0; i < fields->size(); ++i) {
            const JsonPath field = with(with(path, "fields"), i);
            add_text((*fields)[i], "name", kFieldNameMax, field, "field name", true, out);
            add_text((*fields)[i], "value", kFieldValueMax, field, "field value", true, out);
        }
    }
}

std::string over(std::string_view what, std::size_t n, std::size_t max, WebhookKind kind) {
    return std::string(what) + " is " + std::to_string(n) + " characters; " +
           (kind == WebhookKind::slack ? "Slack" : "Discord") + " allows at most " +
           std::to_string(max);
}

void check_discord_counts(const nlohmann::json& body, std::vector<BodyProblem>& problems) {
    const auto embeds = body.find("embeds");
    const bool has_embeds = embeds != body.end() && embeds->is_array() && !embeds->empty();
    const auto content = body.find("content");
    const bool has_content = content != body.end() && content->is_string() &&
                             !content->get_ref<const std::string&>().empty();
    if (!has_content && !has_embeds) {
        problems.push_back({{}, "a Discord message needs \"content\" or \"embeds\""});
    }
    if (!has_embeds) return;
    if (embeds->size() > kEmbedsMax) {
        problems.push_back({{"embeds"},
                            "there are " + std::to_string(embeds->size()) +
                                " embeds; Discord allows at most " + std::to_string(kEmbedsMax)});
    }
    for (std::size_t i = 0; i < embeds->size(); ++i) {
        const auto fields = (*embeds)[i].find("fields");
        if (fields == (*embeds)[i].end() || !fields->is_array() || fields->size() <= kFieldsMax)
            continue;
        problems.push_back({JsonPath{std::string("embeds"), i, std::string("fields")},
                            "an embed has " + std::to_string(fields->size()) +
                                " fields; Discord allows at most " + std::to_string(kFieldsMax)});
    }
}

}  // namespace

std::vector<LimitedText> limited_texts(WebhookKind kind, const nlohmann::json& body) {
    std::vector<LimitedText> out;
    if (kind == WebhookKind::slack) {
        add_text(body, "text", kSlackTextMax, {}, "text", false, out);
        return out;
    }
    if (kind != WebhookKind::discord) return out;
    add_text(body, "content", kContentMax, {}, "content", false, out);
    add_text(body, "username", kUsernameMax, {}, "username", false, out);
    if (const auto embeds = body.find("embeds"); embeds != body.end() && embeds->is_array()) {
        for (std::size_t i = 0; i < embeds->size(); ++i) {
            if ((*embeds)[i].is_object())
                add_embed_texts((*embeds)[i], JsonPath{std::string("embeds"), i}, out);
        }
    }
    return out;
}

std::vector<BodyProblem> check_body_limits(WebhookKind kind, const nlohmann::json& body,
                                           const TextLength& length) {
    std::vector<BodyProblem> problems;
    if (kind == WebhookKind::discord) check_discord_counts(body, problems);
    std::size_t embed_total = 0;
    for (const LimitedText& field : limited_texts(kind, body)) {
        const std::size_t n = length(body.at(field.pointer).get_ref<const std::string&>());
        if (field.embed_text) embed_total += n;
        if (n > field.max) problems.push_back({field.path, over(field.what, n, field.max, kind)});
    }
    if (embed_total > kDiscordEmbedTextTotalMax) {
        problems.push_back({{"embeds"},
                            "the embeds hold " + std::to_string(embed_total) +
                                " characters of text; Discord allows at most " +
                                std::to_string(kDiscordEmbedTextTotalMax) + " in all"});
    }
    return problems;
}

}  // namespace tasksrun

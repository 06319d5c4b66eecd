#include "config/webhook_url.hpp"

#include <cctype>
#include <cstdio>

namespace tasksrun {
namespace {

// RFC 3986's unreserved, gen-delims and sub-delims; '%' is checked on its own.
bool allowed_in_url(unsigned char c) {
    if (std::isalnum(c) != 0) return true;
    constexpr std::string_view kAllowed = "-._~:/?#[]@!$&'()*+,;=";
    return kAllowed.find(static_cast<char>(c)) != std::string_view::npos;
}

std::string describe(unsigned char c) {
    if (c == ' ') return "a space";
    if (c == '\t') return "a tab";
    if (c == '\n' || c == '\r') return "a line break";
    if (c < 0x20 || c == 0x7f || c >= 0x80) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02X", c);
        return std::string("the byte ") + code;
    }
    return std::string("'") + static_cast<char>(c) + "'";
}

}  // namespace

std::optional<std::string> url_character_problem(std::string_view url) {
    for (std::size_t i = 0; i < url.size(); ++i) {
        const auto c = static_cast<unsigned char>(url[i]);
        const std::string at = " at character " + std::to_string(i + 1);
        if (c == '%') {
            if (i + 2 >= url.size() || std::isxdigit(static_cast<unsigned char>(url[i + 1])) == 0 ||
                std::isxdigit(static_cast<unsigned char>(url[i + 2])) == 0)
                return "has a '%' that is not followed by two hex digits" + at;
            continue;
        }
        if (!allowed_in_url(c)) {
            return "contains " + describe(c) + at +
                   ", which a URL cannot hold (percent-encode it, e.g. a space as %20)";
        }
    }
    return std::nullopt;
}

}  // namespace tasksrun

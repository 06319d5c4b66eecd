#include "log/json_line.hpp"

#include <charconv>

#include "util/utf8.hpp"

namespace tasksrun {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    std::size_t i = 0;
    while (i < text.size()) {
        // Most text needs no escaping: copy each such run at once.
        std::size_t run = i;
        while (run < text.size()) {
            const auto c = static_cast<unsigned char>(text[run]);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
            ++run;
        }
        out.append(text.substr(i, run - i));
        i = run;
        if (i == text.size()) break;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const Utf8Sequence sequence = utf8_sequence(text.substr(i));
            if (sequence.valid) {
                out.append(text.substr(i, sequence.length));
            } else {
                out += kReplacement;
            }
            i += sequence.length;
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
    out += '"';
}

JsonLine::JsonLine() {
    text_.reserve(256);
    text_ += '{';
}

void JsonLine::key(std::string_view name) {
    if (text_.size() > 1) text_ += ',';
    text_ += '"';
    text_ += name;
    text_ += "\":";
}

JsonLine& JsonLine::string(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(text_, value);
    return *this;
}

JsonLine& JsonLine::integer(std::string_view name, std::uint64_t value) {
    key(name);
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    text_.append(digits, end);
    return *this;
}

JsonLine& JsonLine::milliseconds(std::string_view name, Duration value) {
    key(name);
    append_milliseconds(text_, value);
    return *this;
}

std::string JsonLine::finish() {
    text_ += '}';
    return std::move(text_);
}

}  // namespace tasksrun

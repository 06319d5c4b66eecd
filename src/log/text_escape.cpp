#include "log/text_escape.hpp"

#include "log/json_line.hpp"
#include "util/utf8.hpp"

namespace tasksrun {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
}

// U+0080 to U+009F, encoded as C2 80 to C2 9F: controls some terminals obey.
bool is_c1_control(std::string_view sequence) {
    return sequence.size() == 2 && static_cast<unsigned char>(sequence[0]) == 0xC2 &&
           static_cast<unsigned char>(sequence[1]) < 0xA0;
}

bool is_plain_ascii(unsigned char c) {
    return c >= 0x20 && c < 0x7F;
}

}  // namespace

void append_escaped_text(std::string& out, std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        // Most text needs nothing: copy each plain run at once.
        std::size_t run = i;
        while (run < text.size() &&
               (is_plain_ascii(static_cast<unsigned char>(text[run])) || text[run] == '\t')) {
            ++run;
        }
        out.append(text.substr(i, run - i));
        i = run;
        if (i == text.size()) break;
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const Utf8Sequence sequence = utf8_sequence(text.substr(i));
            const std::string_view bytes = text.substr(i, sequence.length);
            if (!sequence.valid) {
                for (const char byte : bytes)
                    append_hex_byte(out, static_cast<unsigned char>(byte));
            } else if (is_c1_control(bytes)) {
                out += "\\u00";
                out += kHex[static_cast<unsigned char>(bytes[1]) >> 4];
                out += kHex[static_cast<unsigned char>(bytes[1]) & 0xF];
            } else {
                out.append(bytes);
            }
            i += sequence.length;
            continue;
        }
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            append_hex_byte(out, c);  // the other C0 controls (ESC among them) and DEL
        }
        ++i;
    }
}

std::string logfmt_value(std::string_view value) {
    bool bare = !value.empty();
    for (std::size_t i = 0; bare && i < value.size();) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c < 0x80) {
            bare = is_plain_ascii(c) && c != ' ' && c != '"' && c != '=' && c != '\\';
            ++i;
            continue;
        }
        const Utf8Sequence sequence = utf8_sequence(value.substr(i));
        bare = sequence.valid && !is_c1_control(value.substr(i, sequence.length));
        i += sequence.length;
    }
    if (bare) return std::string(value);
    std::string quoted;
    append_json_string(quoted, value);
    return quoted;
}

}  // namespace tasksrun

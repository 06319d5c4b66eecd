#pragma once
// Text log lines carry what commands print, so nothing in a value may act on a terminal or a
// log reader: no carriage return that rewrites the line, no escape sequence, no line break that
// starts a forged line, no bytes that are not UTF-8 (SPEC 10.6).
#include <string>
#include <string_view>

namespace tasksrun {

// Appends `text` with control characters written as \r, \n, \t stays, \x1b (C0, DEL) or \u0085
// (C1), and each byte that is not part of valid UTF-8 as \xNN. Everything else is copied.
void append_escaped_text(std::string& out, std::string_view text);

// A logfmt value: bare when it is plain (printable, no space, quote, '=' or backslash), else a
// JSON string (which escapes the same characters).
std::string logfmt_value(std::string_view value);

}  // namespace tasksrun

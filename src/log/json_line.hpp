#pragma once
// A JSON log line written straight into one string: no document tree, no allocation per field.
// At a thousand lifecycle lines a second, building and serialising a tree per line was a third
// of the daemon's work. Keys are the caller's constants and are written as they are.
#include <cstdint>
#include <string>
#include <string_view>

#include "util/duration.hpp"
#include "util/instant.hpp"

namespace tasksrun {

// `text` as a JSON string, quotes included: '"', '\' and control characters escaped, bytes that
// are not UTF-8 replaced with U+FFFD (as nlohmann's error_handler_t::replace does).
void append_json_string(std::string& out, std::string_view text);

class JsonLine {
  public:
    JsonLine();
    JsonLine& string(std::string_view key, std::string_view value);
    JsonLine& integer(std::string_view key, std::uint64_t value);
    // Milliseconds with three decimals, as a JSON number: 12.345.
    JsonLine& milliseconds(std::string_view key, Duration value);
    // The finished object, without a line break; the builder is spent.
    std::string finish();

  private:
    void key(std::string_view name);
    std::string text_;
};

}  // namespace tasksrun

#pragma once
// What a command prints, kept for {{output}}, {{output_tail}} and attachments (SPEC 10.3):
// everything up to `limit` bytes; past it, the first and the last half of the limit, with the
// middle marked as dropped. Memory stays within the limit whatever the command prints.
#include <cstddef>
#include <string>
#include <string_view>

namespace tasksrun {

class OutputCapture {
  public:
    static constexpr std::size_t kTailBytes = 4096;  // {{output_tail}}

    // Precondition: limit >= 2 * kTailBytes.
    explicit OutputCapture(std::size_t limit);

    void append(std::string_view chunk);

    // Everything printed, or its first and last halves around a line that says how much was
    // dropped. Cuts fall between UTF-8 characters.
    std::string text() const;
    // The last kTailBytes bytes (starting on a character).
    std::string tail() const;
    std::size_t total_bytes() const { return total_; }

  private:
    const std::size_t half_;
    std::string head_;
    // The end of the output: grows to twice the half before the front is dropped, so that
    // appending stays amortised constant time per byte.
    std::string end_;
    std::size_t total_ = 0;
};

}  // namespace tasksrun

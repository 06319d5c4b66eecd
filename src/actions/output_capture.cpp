#include "actions/output_capture.hpp"

#include <algorithm>

namespace tasksrun {
namespace {

bool is_continuation(char byte) {
    return (static_cast<unsigned char>(byte) & 0xC0) == 0x80;
}

// `text` without a partial character at its end.
std::string_view whole_characters_at_end(std::string_view text) {
    std::size_t end = text.size();
    std::size_t back = 0;
    while (back < 3 && back < end && is_continuation(text[end - 1 - back])) ++back;
    if (back < end) {
        const auto lead = static_cast<unsigned char>(text[end - 1 - back]);
        const std::size_t needed = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (needed > back + 1) end -= back + 1;
    }
    return text.substr(0, end);
}

// `text` without a partial character at its start.
std::string_view whole_characters_at_start(std::string_view text) {
    std::size_t start = 0;
    while (start < 3 && start < text.size() && is_continuation(text[start])) ++start;
    return text.substr(start);
}

}  // namespace

OutputCapture::OutputCapture(std::size_t limit) : half_(limit / 2) {}

void OutputCapture::append(std::string_view chunk) {
    total_ += chunk.size();
    if (head_.size() < half_) {
        const std::size_t taken = std::min(chunk.size(), half_ - head_.size());
        head_.append(chunk.substr(0, taken));
        chunk.remove_prefix(taken);
    }
    end_.append(chunk);
    if (end_.size() > 2 * half_) end_.erase(0, end_.size() - half_);
}

std::string OutputCapture::text() const {
    if (total_ <= head_.size() + end_.size()) return head_ + end_;
    const std::string_view last =
        std::string_view(end_).substr(end_.size() - std::min(end_.size(), half_));
    const std::size_t dropped = total_ - head_.size() - last.size();
    std::string text(whole_characters_at_end(head_));
    text += "\n[… " + std::to_string(dropped) + " bytes of output dropped …]\n";
    text += whole_characters_at_start(last);
    return text;
}

std::string OutputCapture::tail() const {
    // Once anything was dropped, `end_` holds at least half the limit, which is more than the tail.
    const std::string whole = end_.size() >= kTailBytes ? end_ : head_ + end_;
    if (whole.size() <= kTailBytes) return whole;
    return std::string(
        whole_characters_at_start(std::string_view(whole).substr(whole.size() - kTailBytes)));
}

}  // namespace tasksrun

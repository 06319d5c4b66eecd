#include "actions/output_capture.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TEST_CASE("output capture: everything up to the limit, as printed", "[actions][output]") {
    OutputCapture capture(16 * 1024);
    capture.append("line one\n");
    capture.append("line two\n");
    CHECK(capture.text() == "line one\nline two\n");
    CHECK(capture.tail() == "line one\nline two\n");
    CHECK(capture.total_bytes() == 18);
}

TEST_CASE("output capture: past the limit the middle is dropped and said so", "[actions][output]") {
    OutputCapture capture(16 * 1024);
    std::string printed;
    for (int i = 0; i < 10'000; ++i) {
        const std::string line = "line " + std::to_string(i) + "\n";
        printed += line;
        capture.append(line);
    }
    const std::string text = capture.text();
    CHECK(text.size() < 16 * 1024 + 100);
    CHECK(text.starts_with(printed.substr(0, 8 * 1024)));
    CHECK(text.ends_with(printed.substr(printed.size() - 8 * 1024)));
    const std::size_t dropped = printed.size() - 16 * 1024;
    CHECK(text.find("\n[\u2026 " + std::to_string(dropped) +
                    " bytes of output dropped \u2026]\n") != std::string::npos);
    CHECK(capture.tail() == printed.substr(printed.size() - OutputCapture::kTailBytes));
    CHECK(capture.total_bytes() == printed.size());
}

TEST_CASE("output capture: cuts never split a UTF-8 character", "[actions][output]") {
    OutputCapture capture(8 * 1024 * 2);
    // "é" is two bytes: an odd offset puts the halves' edges inside characters.
    capture.append("x");
    for (int i = 0; i < 20'000; ++i) capture.append("\xC3\xA9");
    const std::string text = capture.text();
    const std::size_t mark = text.find("\n[\u2026");
    REQUIRE(mark != std::string::npos);
    CHECK((static_cast<unsigned char>(text[mark - 1]) & 0xC0) != 0xC0);  // no lead byte alone
    const std::size_t after = text.find("]\n") + 2;
    CHECK((static_cast<unsigned char>(text[after]) & 0xC0) != 0x80);  // no stray continuation
    CHECK((static_cast<unsigned char>(capture.tail()[0]) & 0xC0) != 0x80);
}

}  // namespace
}  // namespace tasksrun

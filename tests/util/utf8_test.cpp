#include "util/utf8.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TEST_CASE("UTF-8: code points and cuts on character boundaries", "[util][utf8]") {
    const std::string text = "a\xC3\xA9\xF0\x9F\x8E\x89z";  // a é 🎉 z
    CHECK(code_points(text) == 4);
    CHECK(first_code_points(text, 2) == "a\xC3\xA9");
    CHECK(first_code_points(text, 0).empty());
    CHECK(first_code_points(text, 9) == text);
    CHECK(last_code_points(text, 2) == "\xF0\x9F\x8E\x89z");
    CHECK(last_code_points(text, 0).empty());
    CHECK(last_code_points(text, 9) == text);
}

TEST_CASE("UTF-8: a broken sequence is one unit, a valid one its length", "[util][utf8]") {
    CHECK(utf8_sequence("\xC3\xA9").length == 2);
    CHECK(utf8_sequence("\xC3\xA9").valid);
    CHECK_FALSE(utf8_sequence("\xFF").valid);
    CHECK(utf8_sequence("\xE2\x82").length == 2);  // truncated
    CHECK_FALSE(utf8_sequence("\xE2\x82").valid);
    CHECK_FALSE(utf8_sequence("\xED\xA0\x80").valid);  // a surrogate
}

}  // namespace
}  // namespace tasksrun

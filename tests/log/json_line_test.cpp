// JSON log lines are written by hand for speed; nlohmann::json, which the rest of the project
// trusts, must read back exactly what was meant.
#include "log/json_line.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

nlohmann::json read_back(std::string line) {
    return nlohmann::json::parse(line);  // throws, failing the test, on anything malformed
}

TEST_CASE("json line: fields come back as written", "[log][json]") {
    const auto line = read_back(JsonLine()
                                    .string("task", "backup")
                                    .integer("loop", 18446744073709551615ULL)
                                    .milliseconds("lateness_ms", 1503620us)
                                    .milliseconds("delay_ms", 7us)
                                    .milliseconds("negative_ms", -2500us)
                                    .finish());
    CHECK(line["task"] == "backup");
    CHECK(line["loop"] == 18446744073709551615ULL);
    CHECK(line["lateness_ms"].get<double>() == Approx(1503.620));
    CHECK(line["delay_ms"].get<double>() == Approx(0.007));
    CHECK(line["negative_ms"].get<double>() == Approx(-2.5));
    CHECK(line.size() == 5);
}

TEST_CASE("json line: any text is escaped and stays one line", "[log][json]") {
    const std::string nasty = "quote \" backslash \\ newline \n tab \t bell \x07 nul " +
                              std::string(1, '\0') + " é ✓ 😀 end";
    const std::string written = JsonLine().string("message", nasty).finish();
    CHECK(written.find('\n') == std::string::npos);
    CHECK(read_back(written)["message"] == nasty);
}

TEST_CASE("json line: bytes that are not UTF-8 become U+FFFD as nlohmann's replace does",
          "[log][json]") {
    const std::string broken =
        "a\xff"
        "b\xc3"
        "c\xed\xa0\x80"
        "d\xf4\x90\x80\x80"
        "e\xe2\x82";
    const std::string ours = JsonLine().string("m", broken).finish();
    const std::string theirs = nlohmann::json{{"m", broken}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
    CHECK(read_back(ours)["m"] == read_back(theirs)["m"]);
}

}  // namespace
}  // namespace tasksrun

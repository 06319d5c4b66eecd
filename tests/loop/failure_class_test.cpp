#include "loop/failure_class.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TEST_CASE("failure patterns parse and match classes", "[loop][failure]") {
    const auto any_exit = *parse_failure_pattern("exit:any");
    const auto exit_75 = *parse_failure_pattern("exit:75");
    const auto network = *parse_failure_pattern("network");
    CHECK(any_exit.matches({FailureKind::exit_code, 3}));
    CHECK(exit_75.matches({FailureKind::exit_code, 75}));
    CHECK_FALSE(exit_75.matches({FailureKind::exit_code, 74}));
    CHECK(network.matches({FailureKind::network}));
    CHECK_FALSE(network.matches({FailureKind::timeout}));
    for (const char* name : {"network", "timeout", "http-429", "http-5xx", "http-4xx", "signal",
                             "spawn", "exit:1", "exit:255", "exit:any"}) {
        INFO(name);
        REQUIRE(parse_failure_pattern(name).has_value());
        CHECK(to_string(*parse_failure_pattern(name)) == name);
    }
    CHECK(to_string(FailureClass{FailureKind::exit_code, 2}) == "exit:2");
    CHECK(to_string(FailureClass{FailureKind::http_429}) == "http-429");
}

TEST_CASE("bad failure patterns", "[loop][failure]") {
    CHECK(parse_failure_pattern("exit:0").error() ==
          "\"exit:0\": an exit code class is exit:1 to exit:255, or exit:any");
    CHECK(parse_failure_pattern("exit:x").error() ==
          "\"exit:x\": an exit code class is exit:1 to exit:255, or exit:any");
    CHECK(parse_failure_pattern("http-500").error() ==
          "unknown failure class \"http-500\" (classes: network, timeout, http-429, http-5xx, "
          "http-4xx, "
          "exit:N, exit:any, signal, spawn); did you mean \"http-5xx\"?");
}

}  // namespace
}  // namespace tasksrun

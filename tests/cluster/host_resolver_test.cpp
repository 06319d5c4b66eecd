// Host name lookups on the event loop, through the system's resolver (/etc/hosts for
// "localhost", so no network is needed).
#include "cluster/host_resolver.hpp"

#include <catch2/catch.hpp>

#include "support/pg_wait.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("resolver: localhost resolves, and the answer comes from the loop",
          "[cluster][resolver]") {
    EventLoop loop;
    HostResolver resolver(loop);
    std::optional<HostResolver::Answers> answers;
    resolver.resolve({"localhost"}, [&](HostResolver::Answers a) { answers = std::move(a); });
    CHECK_FALSE(answers.has_value());  // never from inside resolve()
    CHECK(resolver.busy());
    REQUIRE(test::run_until(loop, [&] { return answers.has_value(); }));
    REQUIRE(answers->contains("localhost"));
    const auto& localhost = answers->at("localhost");
    REQUIRE(localhost.has_value());
    const bool loopback = std::ranges::any_of(
        *localhost, [](const std::string& a) { return a == "127.0.0.1" || a == "::1"; });
    CHECK(loopback);
    CHECK_FALSE(resolver.busy());
}

TEST_CASE("resolver: a cancelled lookup never calls back", "[cluster][resolver]") {
    EventLoop loop;
    HostResolver resolver(loop);
    bool called = false;
    resolver.resolve({"localhost"}, [&](HostResolver::Answers) { called = true; });
    resolver.cancel();
    CHECK_FALSE(resolver.busy());
    // A later lookup still works, and only its own callback runs.
    bool second = false;
    resolver.resolve({"localhost"}, [&](HostResolver::Answers) { second = true; });
    REQUIRE(test::run_until(loop, [&] { return second; }));
    CHECK_FALSE(called);
}

}  // namespace
}  // namespace tasksrun

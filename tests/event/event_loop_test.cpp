#include "event/event_loop.hpp"

#include <catch2/catch.hpp>
#include <stdexcept>

namespace tasksrun {
namespace {

TEST_CASE("an event handler that throws ends the loop with its cause", "[runtime][event_loop]") {
    EventLoop events;
    bool after = false;
    EventSource failing = events.defer([] { throw std::runtime_error("disk on fire"); });
    EventSource later = events.elapsed_timer(std::chrono::seconds{5}, [&] {
        after = true;
        events.exit(0);
    });
    const auto result = events.run();
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == "an event handler failed: disk on fire");
    CHECK_FALSE(after);
}

TEST_CASE("a failure of sd-event itself is reported with its cause", "[runtime][event_loop]") {
    EventLoop events;
    std::optional<std::expected<int, std::string>> nested;
    EventSource once = events.defer([&] {
        nested = events.run();  // sd-event refuses to run a loop that is running
        events.exit(7);
    });
    const auto result = events.run();
    REQUIRE(result.has_value());
    CHECK(*result == 7);
    REQUIRE(nested.has_value());
    REQUIRE_FALSE(nested->has_value());
    CHECK(nested->error() == "the event loop failed: Device or resource busy");
}

TEST_CASE("an exit code comes back from run", "[runtime][event_loop]") {
    EventLoop events;
    EventSource once = events.defer([&] { events.exit(3); });
    CHECK(events.run() == 3);
}

TEST_CASE("dispatch_ready runs what is ready and reports a handler's failure",
          "[runtime][event_loop]") {
    EventLoop events;
    int ran = 0;
    EventSource first = events.defer([&] { ++ran; });
    EventSource second = events.defer([&] { ++ran; });
    REQUIRE(events.dispatch_ready().has_value());
    CHECK(ran == 2);
    EventSource failing = events.defer([] { throw std::runtime_error("no"); });
    const auto result = events.dispatch_ready();
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error() == "an event handler failed: no");
}

}  // namespace
}  // namespace tasksrun

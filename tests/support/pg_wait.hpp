#pragma once
// Driving the event loop in cluster tests: run it until an asynchronous answer has arrived.
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cluster/pg_connection.hpp"
#include "event/event_loop.hpp"

namespace tasksrun::test {

// Turns the loop until `done()` holds or `timeout` has passed; returns done().
inline bool run_until(EventLoop& loop, const std::function<bool()>& done,
                      Duration timeout = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) return false;
        const auto wait = std::min<std::chrono::microseconds>(
            std::chrono::duration_cast<std::chrono::microseconds>(left),
            std::chrono::milliseconds{100});
        sd_event_run(loop.raw(), static_cast<std::uint64_t>(wait.count()));
    }
    return true;
}

// Starts an asynchronous operation with a callback and returns what the callback got:
//   auto outcomes = await<std::expected<...>>(loop, [&](auto done) { store.claim(r, done); });
template <typename T, typename Start>
T await(EventLoop& loop, Start start, Duration timeout = std::chrono::seconds{10}) {
    auto answer = std::make_shared<std::optional<T>>();
    start([answer](T value) { *answer = std::move(value); });
    REQUIRE(run_until(
        loop, [&] { return answer->has_value(); }, timeout));
    return std::move(**answer);
}

// A started connection to `conninfo` that has reached `connected`.
inline std::unique_ptr<PgConnection> connect_to(EventLoop& loop, const std::string& conninfo,
                                                PgConnection::Options options = {},
                                                PgConnection::Handlers handlers = {}) {
    auto connection = PgConnection::create(loop, conninfo, options, std::move(handlers));
    REQUIRE(connection.has_value());
    (*connection)->start();
    PgConnection& c = **connection;
    REQUIRE(run_until(loop, [&] { return c.status().state == PgConnection::State::connected; }));
    return std::move(*connection);
}

}  // namespace tasksrun::test

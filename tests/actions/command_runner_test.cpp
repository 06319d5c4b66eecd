#include "actions/command_runner.hpp"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <optional>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

CommandAction shell(std::string script) {
    return CommandAction{.shell = std::move(script),
                         .argv = {},
                         .cwd = std::nullopt,
                         .env = {},
                         .success_codes = {0},
                         .kill_signal = SIGTERM,
                         .kill_timeout = 1s};
}

std::unique_ptr<CommandRun> start(EventLoop& events, Logger& logger, const CommandAction& action,
                                  CommandRun::Done done) {
    block_child_signals();
    return std::make_unique<CommandRun>(
        events, logger,
        CommandLaunch{.action = &action, .environment = {}, .timeout = {}, .task = "t"},
        std::move(done));
}

// Whether `pid` is still a child of this process, dead or alive (a zombie counts).
bool still_a_child(pid_t pid) {
    siginfo_t info{};
    return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

TEST_CASE("a background process holding the output open does not hold up the outcome",
          "[actions][command_runner]") {
    EventLoop events;
    Logger logger(LogFormat::json, LogLevel::error);
    const CommandAction action = shell("yes spam & exit 3");
    std::optional<Outcome> outcome;
    const auto started = std::chrono::steady_clock::now();
    auto run = start(events, logger, action, [&](Outcome result) {
        outcome = std::move(result);
        events.exit(0);
    });
    const pid_t group = run->pid();
    EventSource limit = events.elapsed_timer(20s, [&] { events.exit(1); });
    const auto code = events.run();
    const auto took = std::chrono::steady_clock::now() - started;
    ::kill(-group, SIGKILL);  // `yes` dies of SIGPIPE anyway once the pipe is closed
    REQUIRE(code == 0);
    REQUIRE(outcome.has_value());
    CHECK(outcome->exit_code == 3);
    CHECK(outcome->output_tail.find("spam\nspam\n") != std::string::npos);
    // The drain lasts CommandRun::kDrainTime (or kDrainBytes, sooner); generous for a busy host.
    CHECK(took < 5s);
}

TEST_CASE("a command whose run is destroyed while it runs is killed and reaped",
          "[actions][command_runner]") {
    EventLoop events;
    Logger logger(LogFormat::json, LogLevel::error);
    const CommandAction action = shell("sleep 30");
    auto run =
        start(events, logger, action, [](Outcome) { FAIL("a destroyed run reports nothing"); });
    const pid_t pid = run->pid();
    REQUIRE(pid > 0);
    run.reset();
    EventSource poll;
    std::function<void()> check = [&] {
        if (!still_a_child(pid)) {
            events.exit(0);
        } else {
            poll = events.elapsed_timer(10ms, check);
        }
    };
    poll = events.elapsed_timer(10ms, check);
    EventSource limit = events.elapsed_timer(10s, [&] { events.exit(1); });
    CHECK(events.run() == 0);
    CHECK_FALSE(still_a_child(pid));
}

}  // namespace
}  // namespace tasksrun

// A TaskRunner on a fake environment: what it starts and when, hooks in order, run-now, pings,
// and the clock steps of SPEC 11, without sleeping or spawning anything.
#include "runtime/task_runner.hpp"

#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "support/fake_env.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;
using test::FakeEnv;

const Outcome kExit1 = Outcome{
    .failure = FailureClass{FailureKind::exit_code, 1}, .error = "exit status 1", .exit_code = 1};

std::shared_ptr<const Generation> generation(const std::string& toml) {
    LoadResult loaded = parse_config(toml, "t.toml");
    INFO(loaded.diagnostics.formatted().size());
    REQUIRE(loaded.config.has_value());
    ResolvedEndpoints endpoints;
    for (const auto& [name, ping] : loaded.config->pings)
        endpoints.pings.emplace(name, ResolvedPing{ping.url.value, "shown"});
    return std::make_shared<const Generation>(std::move(*loaded.config), std::move(endpoints));
}

// One task's runner on a fake environment, started at `start`.
struct Harness {
    explicit Harness(const std::string& toml, Instant start = at("2025-01-01T12:00:00Z"))
        : env(start),
          config(generation(toml)),
          runner(services, config, config->config.tasks.at(0),
                 loop_settings(config->config.tasks.at(0), Replication::alone), 1, nullptr) {}

    FakeEnv env;
    Logger logger{LogFormat::text, LogLevel::error};
    TaskServices services{env, logger, nullptr};
    std::shared_ptr<const Generation> config;
    TaskRunner runner;
};

TEST_CASE("runtime: an interval task runs on its grid while actions take their time", "[runtime]") {
    Harness h("[[task]]\nname = \"t\"\nseconds = 10\nrun = \"x\"\n");
    h.runner.start();
    h.env.advance(0s);
    REQUIRE(h.env.labels() == std::vector<std::string>{"action 0.1"});
    h.env.advance(7s);
    h.env.finish(h.env.running());
    h.env.advance(3s);
    CHECK(h.env.labels() == std::vector<std::string>{"action 0.1", "action 1.1"});
    CHECK(h.env.launches()[1]->scheduled == at("2025-01-01T12:00:10Z"));
}

TEST_CASE("runtime: hooks run one at a time, in order, with the iteration they belong to",
          "[runtime]") {
    Harness h(
        "[[task]]\nname = \"t\"\nseconds = 10\ncount = 1\nrun = \"x\"\nreconnect = false\n"
        "[task.before_loop]\nrun = \"b\"\n[task.on_error]\nrun = \"e\"\n"
        "[task.after_loop]\nrun = \"a\"\n");
    h.runner.start();
    h.env.finish(h.env.running(HookKind::before_loop));
    h.env.advance(0s);  // the first slot is now
    h.env.finish(h.env.running(), kExit1);
    // The loop has ended (count 1), but after_loop waits for on_error to finish.
    CHECK(h.env.labels() == std::vector<std::string>{"before_loop 0", "action 0.1", "on_error 0"});
    CHECK(h.env.running(HookKind::on_error).hook_context.outcome->exit_code == 1);
    h.env.finish(h.env.running(HookKind::on_error));
    CHECK(h.env.labels().back() == "after_loop 1");
    h.env.finish(h.env.running(HookKind::after_loop));
    CHECK(h.runner.settled());
    CHECK(h.runner.loop().state() == LoopState::finished);
}

TEST_CASE("runtime: run-now adds an iteration when there is room, and says why not", "[runtime]") {
    Harness h("[[task]]\nname = \"t\"\nminutes = 10\nrun = \"x\"\n");
    h.runner.start();
    h.env.advance(0s);
    CHECK(h.runner.run_now() ==
          "an iteration is already running and overlap leaves no room "
          "for another");
    h.env.finish(h.env.running());
    h.env.advance(1min);
    CHECK_FALSE(h.runner.run_now().has_value());
    CHECK(h.env.labels() == std::vector<std::string>{"action 0.1", "action 1.1"});
    CHECK(h.runner.next_iteration() == at("2025-01-01T12:10:00Z"));  // the schedule did not move
}

TEST_CASE("runtime: a task with a ping reports start, success and failure", "[runtime]") {
    Harness h(
        "[pings.hc]\nurl = \"https://hc.example/ping/abc\"\n[[task]]\nname = \"t\"\nseconds = "
        "10\nrun = \"x\"\nreconnect = false\nping = \"hc\"\n");
    h.runner.start();
    h.env.advance(0s);
    Outcome printed;
    printed.output_tail = "all good\n";
    h.env.finish(h.env.running(), printed);
    h.env.advance(10s);
    h.env.finish(h.env.running(), kExit1);
    std::vector<std::pair<PingKind, std::string>> seen;
    for (const auto& ping : h.env.pings()) seen.emplace_back(ping.kind, ping.body);
    CHECK(seen == std::vector<std::pair<PingKind, std::string>>{{PingKind::start, ""},
                                                                {PingKind::success, "all good\n"},
                                                                {PingKind::start, ""},
                                                                {PingKind::fail, "exit status 1"}});
}

// SPEC 11: the wall clock steps; nothing stalls, nothing runs twice, nothing runs early.
TEST_CASE("runtime clock: an interval task goes on through a step back of an hour",
          "[runtime][clock]") {
    Harness h("[[task]]\nname = \"t\"\nseconds = 10\nrun = \"x\"\n");
    h.runner.start();
    h.env.advance(0s);
    h.env.finish(h.env.running());
    h.env.advance(5s);
    h.env.step_wall(-1h);
    h.env.advance(5s);  // 10 s after the first slot, by any clock that does not step
    REQUIRE(h.env.launches().size() == 2);  // not an hour later
    CHECK(h.env.launches()[1]->scheduled == at("2025-01-01T11:00:10Z"));
    h.env.finish(h.env.running());
    h.env.advance(10s);
    CHECK(h.env.launches().size() == 3);
}

TEST_CASE("runtime clock: an interval task after a step forward neither bursts nor hurries",
          "[runtime][clock]") {
    Harness h("[[task]]\nname = \"t\"\nseconds = 10\nrun = \"x\"\n");
    h.runner.start();
    h.env.advance(0s);
    h.env.finish(h.env.running());
    h.env.step_wall(2h);
    h.env.advance(9s);
    CHECK(h.env.launches().size() == 1);
    h.env.advance(1s);
    CHECK(h.env.launches().size() == 2);
}

TEST_CASE("runtime clock: time and cron tasks follow the wall clock, never twice, never early",
          "[runtime][clock]") {
    const std::string schedule =
        GENERATE(as<std::string>{}, "time = \"12:30\"", "cron = \"30 12 * * *\"");
    INFO(schedule);
    {
        SECTION("a step back of an hour after the slot ran: it does not run again") {
            Harness h("[[task]]\nname = \"t\"\n" + schedule + "\nrun = \"x\"\n");
            h.runner.start();
            h.env.advance(30min);
            REQUIRE(h.env.launches().size() == 1);
            h.env.finish(h.env.running());
            h.env.step_wall(-1h);  // 11:30 again
            h.env.advance(2h);     // 13:30 by the wall clock
            CHECK(h.env.launches().size() == 1);
            h.env.advance(23h);  // the next day's 12:30
            CHECK(h.env.launches().size() == 2);
        }
        SECTION("a step back of an hour before the slot: it runs at 12:30 of the new time") {
            Harness h("[[task]]\nname = \"t\"\n" + schedule + "\nrun = \"x\"\n");
            h.runner.start();
            h.env.advance(20min);  // 12:20
            h.env.step_wall(-1h);  // 11:20
            h.env.advance(69min);  // 12:29
            CHECK(h.env.launches().empty());
            h.env.advance(1min);
            REQUIRE(h.env.launches().size() == 1);
            CHECK(h.env.launches()[0]->started == at("2025-01-01T12:30:00Z"));
        }
        SECTION("a step forward of an hour past the slot: it runs once, late") {
            Harness h("[[task]]\nname = \"t\"\n" + schedule + "\nrun = \"x\"\n");
            h.runner.start();
            h.env.advance(20min);
            h.env.step_wall(1h);  // 13:20: 12:30 passed while the clock jumped
            REQUIRE(h.env.launches().size() == 1);
            CHECK(h.env.launches()[0]->scheduled == at("2025-01-01T12:30:00Z"));
            h.env.finish(h.env.running());
            h.env.advance(2h);
            CHECK(h.env.launches().size() == 1);
        }
        SECTION("a jump forward of two hours over many cron slots: one run, no burst") {
            Harness h("[[task]]\nname = \"t\"\ncron = \"*/10 * * * *\"\nrun = \"x\"\n");
            h.runner.start();
            h.env.advance(10min);
            REQUIRE(h.env.launches().size() == 1);
            h.env.finish(h.env.running());
            h.env.step_wall(2h);
            CHECK(h.env.launches().size() == 2);  // the slot the timer was armed for
            h.env.finish(h.env.running());
            h.env.advance(9min);
            CHECK(h.env.launches().size() == 2);
            h.env.advance(1min);
            CHECK(h.env.launches().size() == 3);  // the next slot of the new wall time
        }
    }
}

}  // namespace
}  // namespace tasksrun

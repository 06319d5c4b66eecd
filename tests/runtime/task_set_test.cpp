// The task set on a fake environment: a reload by difference while iterations run (SPEC 6), the
// handover of a changed task, and what the control socket answers.
#include "runtime/task_set.hpp"

#include <catch2/catch.hpp>

#include "config/loader.hpp"
#include "runtime/control_commands.hpp"
#include "support/fake_env.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::at;
using test::FakeEnv;

std::shared_ptr<const Generation> generation(const std::string& toml) {
    LoadResult loaded = parse_config(toml, "t.toml");
    REQUIRE(loaded.config.has_value());
    return std::make_shared<const Generation>(std::move(*loaded.config), ResolvedEndpoints{});
}

std::string task(const std::string& name, const std::string& keys) {
    return "[[task]]\nname = \"" + name + "\"\n" + keys + "\nrun = \"x\"\n";
}

struct Harness {
    explicit Harness(const std::string& toml)
        : env(at("2025-01-01T12:00:00Z")),
          tasks(services, generation(toml), [this] { ++settle_calls; }) {}

    const TaskRunner* runner(std::string_view name) const { return tasks.index().find(name); }
    FakeEnv::Launch& running(const std::string& name) {
        for (auto it = env.launches().rbegin(); it != env.launches().rend(); ++it) {
            if ((*it)->task == name && !(*it)->finished) return **it;
        }
        FAIL("no action of " << name << " is running");
        return *env.launches().back();
    }
    std::size_t launches_of(const std::string& name) const {
        return static_cast<std::size_t>(std::ranges::count_if(
            env.launches(), [&](const auto& launch) { return launch->task == name; }));
    }

    FakeEnv env;
    Logger logger{LogFormat::text, LogLevel::error};
    TaskServices services{env, logger, nullptr};
    int settle_calls = 0;
    TaskSet tasks;
};

TEST_CASE("task set: a reload keeps, hands over, stops and adds while iterations run",
          "[runtime][reload]") {
    Harness h(task("kept", "seconds = 10") + task("changed", "seconds = 10") +
              task("removed", "seconds = 10"));
    h.tasks.start_all();
    h.env.advance(0s);
    REQUIRE(h.env.running_count() == 3);
    const TaskRunner* kept = h.runner("kept");
    const TaskRunner* changed_before = h.runner("changed");

    const auto applied =
        h.tasks.apply(generation(task("kept", "seconds = 10") + task("changed", "seconds = 20") +
                                 task("added", "seconds = 10")));
    CHECK(applied.unchanged == 1);
    CHECK(applied.changed == 1);
    CHECK(applied.removed == 1);
    CHECK(applied.added == 1);
    h.env.advance(0s);
    // Unchanged: the same runner, its iteration still running. Added: started at once.
    CHECK(h.runner("kept") == kept);
    CHECK(h.running("kept").loop == 0);
    CHECK(h.launches_of("added") == 1);
    // Changed and removed: stopping, their iterations left to finish.
    CHECK(h.runner("changed") == changed_before);
    CHECK(changed_before->loop().state() == LoopState::running);
    CHECK(h.runner("removed") == nullptr);
    CHECK_FALSE(h.tasks.all_settled());

    h.env.advance(5s);
    h.env.finish(h.running("changed"));
    h.env.finish(h.running("removed"));
    // The changed task's new runner resumes after the slot the old one fired: 12:00:00 + 20 s.
    const TaskRunner* changed_after = h.runner("changed");
    REQUIRE(changed_after != changed_before);
    CHECK(changed_after->loop().state() == LoopState::waiting);
    CHECK(changed_after->next_iteration() == at("2025-01-01T12:00:20Z"));
    h.env.finish(h.running("kept"));
    h.env.advance(5s);                                                 // 12:00:10
    CHECK(h.running("kept").scheduled == at("2025-01-01T12:00:10Z"));  // its grid never moved
    h.env.finish(h.running("kept"));
    h.env.advance(15s);  // 12:00:25
    CHECK(h.launches_of("changed") == 2);
    CHECK(h.launches_of("removed") == 1);  // never again
}

TEST_CASE("task set: a changed task that had already ended starts at once with its new config",
          "[runtime][reload]") {
    Harness h(task("once", "seconds = 10\ncount = 1"));
    h.tasks.start_all();
    h.env.advance(0s);
    h.env.finish(h.running("once"));
    CHECK(h.runner("once")->loop().state() == LoopState::finished);
    h.tasks.apply(generation(task("once", "seconds = 10\ncount = 2")));
    h.env.advance(0s);
    CHECK(h.runner("once")->loop().state() != LoopState::finished);
    h.env.advance(10s);  // resumes after its last slot (12:00:00), so the next is 12:00:10
    CHECK(h.launches_of("once") == 2);
}

TEST_CASE("task set: stop_all ends every loop once its iteration finishes", "[runtime]") {
    Harness h(task("a", "seconds = 10") + task("b", "minutes = 5\nrun_at_start = false"));
    h.tasks.start_all();
    h.env.advance(0s);
    h.tasks.stop_all();
    CHECK_FALSE(h.tasks.all_settled());
    h.env.finish(h.running("a"));
    CHECK(h.tasks.all_settled());
    CHECK_FALSE(h.tasks.any_failed());
}

TEST_CASE("control: what the socket answers for each verb", "[runtime][control]") {
    Harness h(task("backup", "minutes = 10") + task("report", "time = \"13:00\""));
    h.tasks.start_all();
    h.env.advance(0s);
    const auto reply = [&](const json& request) { return control_reply(request, h.tasks.index()); };

    const json status = reply({{"command", "status"}});
    REQUIRE(status["ok"] == true);
    REQUIRE(status["tasks"].size() == 2);
    CHECK(status["tasks"][0]["task"] == "backup");
    CHECK(status["tasks"][0]["state"] == "running");
    CHECK(status["tasks"][1]["next_iteration"] == "2025-01-01T13:00:00Z");

    CHECK(reply({{"command", "run-now"}, {"task", "backup"}})["error"] ==
          "task \"backup\": an iteration is already running and overlap leaves no room for "
          "another");
    CHECK(reply({{"command", "stop"}, {"task", "bakup"}})["error"] ==
          "no running config has a task named \"bakup\"; did you mean \"backup\"?");
    CHECK(reply({{"command", "start"}, {"task", "backup"}})["error"] ==
          "task \"backup\" is already running (state running)");

    const json changed =
        reply({{"command", "change-interval"}, {"task", "report"}, {"time", {"14:30"}}});
    REQUIRE(changed["ok"] == true);
    CHECK(changed["task"]["next_iteration"] == "2025-01-01T14:30:00Z");
    CHECK(
        reply({{"command", "change-interval"}, {"task", "report"}, {"cron", "61 * * * *"}})["ok"] ==
        false);

    REQUIRE(reply({{"command", "stop"}, {"task", "report"}})["ok"] == true);
    CHECK(h.runner("report")->loop().state() == LoopState::finished);
    REQUIRE(reply({{"command", "start"}, {"task", "report"}})["ok"] == true);
    CHECK(h.runner("report")->loop().state() == LoopState::waiting);
}

}  // namespace
}  // namespace tasksrun

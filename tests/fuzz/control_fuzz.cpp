// libFuzzer target: any bytes as one control-socket request line, answered as the daemon
// answers it (ControlServer's line parsing, then control_reply) against real TaskRunners of a
// small config, some running and one stopped. Every input must get a reply, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "event/event_loop.hpp"
#include "log/logger.hpp"
#include "runtime/control_commands.hpp"
#include "runtime/control_server.hpp"
#include "runtime/event_loop_env.hpp"
#include "runtime/generation.hpp"
#include "runtime/task_runner.hpp"

namespace {

using namespace tasksrun;

constexpr std::string_view kConfig = R"([tasksrun]
timezone = "Europe/Berlin"

[[task]]
name = "hourly"
hours = 1
run = "true"

[[task]]
name = "nightly"
cron = "30 2 * * *"
dst_gap = "at-transition"
run = "true"

[[task]]
name = "twice"
time = ["09:00", "17:30:15"]
overlap = 2
command = ["true"]

[[task]]
name = "stopped"
seconds = 5
run = "true"
)";

// What a daemon has when requests arrive, built once: the loop, the runners and their index.
struct Daemonish {
    EventLoop events;
    Logger logger{LogFormat::json, LogLevel::error};
    EventLoopEnv env{events, logger, "fuzz"};
    const TaskServices services{
        .env = env, .logger = logger, .store = nullptr, .send_pings = false};
    std::shared_ptr<const Generation> generation;
    std::vector<std::unique_ptr<TaskRunner>> runners;
    TaskIndex index;

    Daemonish() {
        block_child_signals();
        LoadResult loaded = parse_config(kConfig, "fuzz.toml");
        if (!loaded.config) std::abort();
        generation =
            std::make_shared<const Generation>(std::move(*loaded.config), ResolvedEndpoints{});
        std::vector<TaskRunner*> listed;
        std::uint64_t seed = 1;
        for (const TaskConfig& task : generation->config.tasks) {
            runners.push_back(std::make_unique<TaskRunner>(services, generation, task,
                                                           loop_settings(task, Replication::alone),
                                                           seed++, nullptr));
            if (task.name != "stopped") runners.back()->start();
            listed.push_back(runners.back().get());
        }
        index.assign(std::move(listed));
    }

    // What is ready on the loop, so that commands started by run-now are reaped as they end.
    void turn() {
        if (!events.dispatch_ready()) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Daemonish daemon;
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    const auto reply = reply_to_line(
        line, [](const nlohmann::json& request) { return control_reply(request, daemon.index); });
    // The reply is sent as the server sends it, invalid UTF-8 replaced.
    if (reply)
        static_cast<void>(reply->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    daemon.turn();
    return 0;
}

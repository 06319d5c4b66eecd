#include "runtime/control_commands.hpp"

#include "config/loader.hpp"
#include "runtime/control_server.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"
#include "util/suggest.hpp"

namespace tasksrun {
namespace {

using nlohmann::json;

json optional_instant(const std::optional<Instant>& at) {
    return at ? json(format_utc(*at)) : json(nullptr);
}

// The keys of a change-interval request, as the TOML table the config loader validates.
std::expected<toml::table, std::string> schedule_keys(const json& request) {
    toml::table keys;
    for (const auto& [key, value] : request.items()) {
        if (key == "command" || key == "task") continue;
        if (value.is_number_integer()) {
            keys.insert(key, value.get<std::int64_t>());
        } else if (value.is_number()) {
            keys.insert(key, value.get<double>());
        } else if (value.is_string()) {
            keys.insert(key, value.get<std::string>());
        } else if (value.is_array()) {
            toml::array entries;
            for (const json& entry : value) {
                if (!entry.is_string())
                    return std::unexpected("\"" + key + "\" entries must be strings");
                entries.push_back(entry.get<std::string>());
            }
            keys.insert(key, std::move(entries));
        } else {
            return std::unexpected("\"" + key + "\" must be a number, a string or a list");
        }
    }
    return keys;
}

json apply(std::string_view command, TaskRunner& runner, const json& request) {
    const std::string& name = runner.task().name;
    if (command == "start") {
        if (runner.loop().is_running()) {
            return control_error("task \"" + name + "\" is already running (state " +
                                 std::string(to_string(runner.loop().state())) + ")");
        }
        runner.start();
    } else if (command == "stop") {
        runner.stop();
    } else if (command == "cancel") {
        runner.cancel();
    } else if (command == "restart") {
        runner.restart();
    } else if (command == "run-now") {
        if (auto refused = runner.run_now()) {
            return control_error("task \"" + name + "\": " + *refused);
        }
    } else {
        return change_interval(runner, request);
    }
    return {{"ok", true}, {"task", task_status(runner)}};
}

}  // namespace

json change_interval(TaskRunner& runner, const json& request) {
    auto keys = schedule_keys(request);
    if (!keys) return control_error(keys.error());
    // Time and cron stay in the task's zone unless the request names one.
    const WallClockSchedule* clock = runner.loop().schedule().wall_clock();
    const Zone& zone = clock != nullptr ? clock->zone() : runner.generation().config.settings.zone;
    auto schedule = parse_schedule_keys(*keys, zone, runner.task().name);
    if (!schedule) return control_error("change-interval: " + schedule.error());
    runner.change_schedule(std::move(*schedule));
    return {{"ok", true}, {"task", task_status(runner)}};
}

void TaskIndex::assign(std::vector<TaskRunner*> runners) {
    in_order = std::move(runners);
    by_name = in_order;
    std::ranges::sort(by_name, {},
                      [](const TaskRunner* r) -> std::string_view { return r->task().name; });
}

TaskRunner* TaskIndex::find(std::string_view name) const {
    const auto it = std::ranges::lower_bound(
        by_name, name, {}, [](const TaskRunner* r) -> std::string_view { return r->task().name; });
    return it != by_name.end() && (*it)->task().name == name ? *it : nullptr;
}

json task_status(const TaskRunner& runner) {
    const Loop& loop = runner.loop();
    json status{{"task", runner.task().name},
                {"state", to_string(loop.state())},
                {"schedule", loop.schedule().describe()},
                {"current_loop", loop.current_loop()},
                {"next_iteration", optional_instant(runner.next_iteration())},
                {"is_running", loop.is_running()},
                {"failed", loop.failed()},
                {"is_being_cancelled", loop.is_being_cancelled()},
                {"last", nullptr}};
    if (const LastRun* last = runner.last_run()) {
        status["last"] = {{"loop", last->loop},
                          {"outcome", last->outcome},
                          {"class", last->failure_class},
                          {"ended", format_utc(last->ended)},
                          {"duration_ms", to_milliseconds(last->duration)}};
    }
    return status;
}

json control_reply(const json& request, const TaskIndex& tasks) {
    static constexpr std::string_view kCommands[] = {
        "status", "start", "stop", "cancel", "restart", "change-interval", "run-now"};
    const auto command_field = request.find("command");
    if (command_field == request.end() || !command_field->is_string())
        return control_error("the request has no \"command\" string");
    const std::string command = command_field->get<std::string>();
    if (std::ranges::find(kCommands, command) == std::end(kCommands)) {
        const std::vector<std::string> known(std::begin(kCommands), std::end(kCommands));
        return control_error("unknown command \"" + command + "\"" +
                             did_you_mean(closest_match(command, known)));
    }

    std::optional<std::string> task_name;
    if (const auto field = request.find("task"); field != request.end()) {
        if (!field->is_string()) return control_error("\"task\" must be a string");
        task_name = field->get<std::string>();
    }
    if (command == "status" && !task_name) {
        json list = json::array();
        for (const TaskRunner* runner : tasks.in_order) list.push_back(task_status(*runner));
        return {{"ok", true}, {"tasks", std::move(list)}};
    }
    if (!task_name) return control_error("\"" + command + "\" needs a \"task\"");
    TaskRunner* found = tasks.find(*task_name);
    if (found == nullptr) {
        std::vector<std::string> names;
        names.reserve(tasks.in_order.size());
        for (const TaskRunner* runner : tasks.in_order) names.push_back(runner->task().name);
        return control_error("no running config has a task named \"" + *task_name + "\"" +
                             did_you_mean(closest_match(*task_name, names)));
    }
    if (command == "status") return {{"ok", true}, {"tasks", json::array({task_status(*found)})}};
    return apply(command, *found, request);
}

}  // namespace tasksrun

#pragma once
// What the control socket's requests do (SPEC 2, `tasksrun ctl`): status, and the Loop's
// methods on one task. Each request is a JSON object with a "command" and usually a "task";
// each reply has "ok" and either the result or an "error" for people.
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/task_runner.hpp"

namespace tasksrun {

// The daemon's current tasks, as the control socket finds them.
struct TaskIndex {
    std::vector<TaskRunner*> in_order;
    std::unordered_map<std::string_view, TaskRunner*> by_name;  // views of the runners' names
};

// A task's state and Loop properties: task, state, schedule, current_loop, next_iteration
// (RFC 3339 or null), is_running, failed, is_being_cancelled, and last (how the latest
// iteration ended, or null).
nlohmann::json task_status(const TaskRunner& runner);

// Never throws for a bad request: it gets {"ok":false,"error":...}.
nlohmann::json control_reply(const nlohmann::json& request, const TaskIndex& tasks);

}  // namespace tasksrun

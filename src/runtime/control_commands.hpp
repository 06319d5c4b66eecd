#pragma once
// What the control socket's requests do (SPEC 2, `tasksrun ctl`): status, and the Loop's
// methods on one task. Each request is a JSON object with a "command" and usually a "task";
// each reply has "ok" and either the result or an "error" for people.
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "runtime/task_runner.hpp"

namespace tasksrun {

// The daemon's current tasks, as the control socket finds them. Two vectors rather than a hash
// map: 16 bytes a task, where 10,000 idle tasks are meant to fit in 32 MiB.
struct TaskIndex {
    std::vector<TaskRunner*> in_order;
    std::vector<TaskRunner*> by_name;  // sorted by task name

    void assign(std::vector<TaskRunner*> runners);
    TaskRunner* find(std::string_view name) const;  // null when there is no such task
};

// A task's state and Loop properties: task, state, schedule, current_loop, next_iteration
// (RFC 3339 or null), is_running, failed, is_being_cancelled, and last (how the latest
// iteration ended, or null).
nlohmann::json task_status(const TaskRunner& runner);

// `ctl change-interval`: the request's schedule keys (seconds, time, cron, ...) checked as the
// config loader checks them, then applied. The reply, as control_reply's.
nlohmann::json change_interval(TaskRunner& runner, const nlohmann::json& request);

// Never throws for a bad request: it gets {"ok":false,"error":...}.
nlohmann::json control_reply(const nlohmann::json& request, const TaskIndex& tasks);

}  // namespace tasksrun

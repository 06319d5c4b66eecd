#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/service_paths.hpp"
#include "runtime/control_server.hpp"

namespace tasksrun {
namespace {

using nlohmann::json;

std::string text_of(const json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

std::string last_outcome(const json& last) {
    if (last.is_null()) return "-";
    std::string text = "#" + text_of(last["loop"]) + " " + text_of(last["outcome"]);
    if (const std::string failure = text_of(last["class"]); !failure.empty() && failure != "-")
        text += " (" + failure + ")";
    return text;
}

// Whole seconds are enough for people reading a table.
std::string whole_seconds(const json& instant) {
    std::string text = text_of(instant);
    const std::size_t fraction = text.find('.');
    return fraction == std::string::npos ? text : text.substr(0, fraction) + "Z";
}

void print_table(const json& tasks) {
    std::size_t width = 4;
    for (const json& task : tasks) width = std::max(width, text_of(task["task"]).size());
    std::cout << fmt::format("{:<{}}  {:<11}  {:>6}  {:<20}  {}\n", "TASK", width, "STATE", "LOOP",
                             "NEXT (UTC)", "LAST");
    for (const json& task : tasks) {
        std::string state = text_of(task["state"]);
        if (task["is_being_cancelled"] == true) state += "*";
        if (task["failed"] == true && state != "failed") state += "!";
        std::cout << fmt::format("{:<{}}  {:<11}  {:>6}  {:<20}  {}\n", text_of(task["task"]),
                                 width, state, text_of(task["current_loop"]),
                                 whole_seconds(task["next_iteration"]), last_outcome(task["last"]));
    }
}

json build_request(const CtlOptions& options) {
    json request{{"command", options.verb}};
    if (options.task) request["task"] = *options.task;
    if (options.seconds) request["seconds"] = *options.seconds;
    if (options.minutes) request["minutes"] = *options.minutes;
    if (options.hours) request["hours"] = *options.hours;
    if (!options.times.empty()) request["time"] = options.times;
    if (options.cron) request["cron"] = *options.cron;
    return request;
}

}  // namespace

int ctl_command(const CtlOptions& options) {
    const std::string socket = client_control_socket(options.socket, options.config_path);
    auto reply = control_request(socket, build_request(options));
    if (!reply) {
        std::cerr << "tasksrun ctl: " << reply.error() << '\n';
        return exit_code::failure;
    }
    if (options.json) std::cout << reply->dump() << '\n';
    if ((*reply)["ok"] != true) {
        if (!options.json) std::cerr << "tasksrun ctl: " << text_of((*reply)["error"]) << '\n';
        return exit_code::failure;
    }
    if (options.json) return exit_code::ok;
    if (const auto cluster = reply->find("cluster"); cluster != reply->end()) {
        // "cluster: replica a, database host=... dbname=...: down since ... (error)".
        std::cout << "cluster: replica " << text_of((*cluster)["replica"]) << ", database "
                  << text_of((*cluster)["database"]) << ": " << text_of((*cluster)["state"]);
        if (!(*cluster)["down_since"].is_null())
            std::cout << " since " << text_of((*cluster)["down_since"]) << " ("
                      << text_of((*cluster)["last_error"]) << ")";
        std::cout << "\n\n";
    }
    if (reply->contains("tasks")) {
        print_table((*reply)["tasks"]);
    } else {
        print_table(json::array({(*reply)["task"]}));
    }
    return exit_code::ok;
}

}  // namespace tasksrun

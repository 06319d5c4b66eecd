#pragma once
// One loaded config, with its webhook URLs in hand and the services its actions run on. A reload
// makes a new generation. A task's runner holds the generation its task belongs to, and each
// action in flight pins the generation it was launched from, so a reload never pulls a config
// out from under a running iteration.
#include <memory>
#include <string>

#include "config/config.hpp"
#include "observe/observer.hpp"
#include "runtime/action_launcher.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

struct SharedServices {
    EventLoop& events;
    Logger& logger;
    WebhookSender& webhooks;
    Pinger& pinger;
    std::string hostname;
    StateStore* store;
    Observer* observer = nullptr;  // observability (src/observe): null without [tasksrun] http
};

struct Generation {
    Generation(Config loaded, ResolvedEndpoints resolved_endpoints, const SharedServices& shared)
        : config(std::move(loaded)),
          endpoints(std::move(resolved_endpoints)),
          services{shared.events,   shared.logger,   shared.webhooks, shared.pinger,
                   this->endpoints, shared.hostname, shared.store},
          observer(shared.observer) {}
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;

    const Config config;
    const ResolvedEndpoints endpoints;
    const RuntimeServices services;  // refers to `endpoints`
    Observer* const observer;        // told of runs (TaskRunner), when not null
};

}  // namespace tasksrun

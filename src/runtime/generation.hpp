#pragma once
// One loaded config, with its webhook and ping URLs in hand. A reload makes a new generation. A
// task's runner holds the generation its task belongs to, and each action in flight pins the
// generation it was launched from, so a reload never pulls a config out from under a running
// iteration.
#include <memory>

#include "config/config.hpp"
#include "runtime/webhooks.hpp"

namespace tasksrun {

struct Generation {
    Generation(Config loaded, ResolvedEndpoints resolved)
        : config(std::move(loaded)), endpoints(std::move(resolved)) {}
    Generation(const Generation&) = delete;
    Generation& operator=(const Generation&) = delete;

    const Config config;
    const ResolvedEndpoints endpoints;
};

}  // namespace tasksrun

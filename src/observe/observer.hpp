#pragma once
// What the runtime tells the observability layer as things happen: iterations and attempts of
// tasks, answers and rate-limit waits of webhooks, reloads. The runtime holds one pointer to an
// Observer (null when nothing observes, so that a daemon without `http` pays nothing) and calls
// it from the event loop's thread. Every call takes the time it happened at; an Observer never
// reads a clock.
#include <string_view>

#include "loop/events.hpp"
#include "util/instant.hpp"

namespace tasksrun {

class Observer {
  public:
    // An iteration's first attempt started, `lateness` after it was due.
    virtual void iteration_started(std::string_view task, Duration lateness) = 0;
    // An attempt ended: "ok", "cancelled", or its failure class ("exit:3", "http-5xx", ...).
    virtual void attempt_ended(std::string_view task, std::string_view attempt_class) = 0;
    // An iteration ended for good (never `retrying`), `elapsed` after its first attempt started
    // (retries and their waits included), at `ended`.
    virtual void iteration_ended(std::string_view task, RunStatus status, Duration elapsed,
                                 Instant ended) = 0;
    // A webhook request was answered: `code` is the HTTP status ("204"), or "network" or
    // "timeout" when no answer came.
    virtual void webhook_answered(std::string_view webhook, std::string_view code) = 0;
    // Requests to `webhook` were held back by a rate limit for `waited`.
    virtual void webhook_rate_limited(std::string_view webhook, Duration waited) = 0;
    // A reload (SIGHUP) was applied, or refused because the new config was not valid.
    virtual void config_reloaded(bool applied) = 0;

  protected:
    ~Observer() = default;
};

}  // namespace tasksrun

#include "runtime/event_loop_env.hpp"

#include "event/clock.hpp"
#include "runtime/action_launcher.hpp"

namespace tasksrun {

EventLoopEnv::EventLoopEnv(EventLoop& events, Logger& logger, std::string hostname)
    : events_(events),
      logger_(logger),
      hostname_(std::move(hostname)),
      webhooks_(events, logger),
      pinger_(events, logger) {}

Now EventLoopEnv::now() const {
    return clocks_now();
}

EventSource EventLoopEnv::timer(TimerDeadline at, Duration accuracy, std::function<void()> fire) {
    return events_.timer(at, std::move(fire), accuracy);
}

EventSource EventLoopEnv::defer(std::function<void()> callback) {
    return events_.defer(std::move(callback));
}

std::unique_ptr<ActionRun> EventLoopEnv::launch(const Action& action, const LaunchContext& context,
                                                std::function<void(Outcome)> done) {
    return launch_action(ActionServices{events_, logger_, webhooks_, hostname_}, action, context,
                         std::move(done));
}

void EventLoopEnv::destroy_later(std::unique_ptr<ActionRun> run) {
    events_.destroy_later(std::move(run));
}

void EventLoopEnv::ping(const ResolvedPing& target, PingKind kind, std::string body,
                        const std::string& task, Pinger::Owner owner, std::function<void()> done) {
    pinger_.ping(target, kind, std::move(body), task, owner, std::move(done));
}

void EventLoopEnv::cancel_pings(Pinger::Owner owner) {
    pinger_.cancel_all(owner);
}

}  // namespace tasksrun

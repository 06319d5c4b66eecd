#pragma once
// The runtime on the real world: sd-event's clocks and timers, commands through posix_spawn,
// webhooks and pings through curl.
#include <string>

#include "actions/pinger.hpp"
#include "actions/webhook_sender.hpp"
#include "event/event_loop.hpp"
#include "log/logger.hpp"
#include "runtime/runtime_env.hpp"

namespace tasksrun {

class EventLoopEnv final : public RuntimeEnv {
  public:
    EventLoopEnv(EventLoop& events, Logger& logger, std::string hostname);

    Now now() const override;
    EventSource timer(TimerDeadline at, Duration accuracy, std::function<void()> fire) override;
    EventSource defer(std::function<void()> callback) override;
    std::unique_ptr<ActionRun> launch(const Action& action, const LaunchContext& context,
                                      std::function<void(Outcome)> done) override;
    void destroy_later(std::unique_ptr<ActionRun> run) override;
    void ping(const ResolvedPing& target, PingKind kind, std::string body, const std::string& task,
              Pinger::Owner owner, std::function<void()> done) override;
    void cancel_pings(Pinger::Owner owner) override;
    SlotClaims* slot_claims() override { return claims_; }
    // Cluster mode: from now on slots are claimed here.
    void use_slot_claims(SlotClaims* claims) { claims_ = claims; }

    const WebhookSender& webhooks() const { return webhooks_; }
    WebhookSender& webhooks() { return webhooks_; }  // to observe it (src/observe)
    const std::string& hostname() const { return hostname_; }

  private:
    EventLoop& events_;
    Logger& logger_;
    const std::string hostname_;
    WebhookSender webhooks_;
    Pinger pinger_;
    SlotClaims* claims_ = nullptr;
};

}  // namespace tasksrun

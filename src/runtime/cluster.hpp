#pragma once
// Cluster mode in the daemon (SPEC 14): the PostgreSQL connection every replica shares, and
// what the runtime does with it. Due slots are claimed in one batch per turn of the event loop;
// an attempt starts only while its claim is held; the leases of running slots are renewed
// every lease / 3; slots whose holder died are taken over every lease / 2; ctl changes and
// reloads made on any replica reach every replica (LISTEN/NOTIFY, and a poll every 5 s). While
// the database is unreachable nothing is claimed, so nothing fires, and it is logged loudly.
#include <cstdint>
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/cluster_control.hpp"
#include "cluster/cluster_store.hpp"
#include "cluster/pg_connection.hpp"
#include "config/config.hpp"
#include "event/event_loop.hpp"
#include "log/logger.hpp"
#include "log/redact.hpp"
#include "runtime/slot_claims.hpp"

namespace tasksrun {

// A task's fingerprint as the cluster compares it.
std::string config_hash(const TaskConfig& task);

class Cluster final : public SlotClaims {
  public:
    // What the cluster asks of the daemon.
    struct Hooks {
        // A ctl change made on some replica (this one included): stop, start or a schedule.
        std::function<void(const TaskControl&)> control_changed;
        // `tasksrun` on some other replica reloaded its config: reload this one's too.
        std::function<void()> reload_requested;
        // A slot taken over from a replica that died while running it, to run here now.
        std::function<void(const std::string& task, const SlotClaim& claim)> rerun;
        // The database answers again: slots it missed may run late (misfire).
        std::function<void()> reconnected;
    };

    // Reads the connection string (cluster_url_env or cluster_url_file), gives its secrets to
    // `redactor`, and starts connecting; nothing is claimed until the schema is in place. Fails
    // when the string cannot be had or parsed.
    static std::expected<std::unique_ptr<Cluster>, std::string> start(
        EventLoop& events, Logger& logger, const ClusterSettings& settings, Redactor& redactor,
        Hooks hooks);
    ~Cluster() override;

    // The config this replica runs (at start, and after each reload): its task hashes are
    // published, and its tasks are the ones it takes over slots of.
    void use_config(const Config& config);
    // ctl, cluster-wide: every replica applies it, this one through control_changed too.
    void set_stopped(const std::string& task, bool stopped);
    // `schedule` is the change-interval request's keys, as JSON.
    void set_schedule(const std::string& task, const nlohmann::json& schedule);
    // A reload of this replica's config was asked for by a person (SIGHUP): every replica
    // reloads its own.
    void request_reload();

    // Calls `done` once every run's end and release sent so far has been answered (or failed),
    // at once when none is pending. A stopping daemon waits for it: otherwise a run that ended
    // here stays `running` in the database, and another replica takes the slot over.
    void when_recorded(std::function<void()> done);

    // For ctl status and the log: the database, its state, since when, the last error.
    nlohmann::json status() const;
    bool connected() const;

    // SlotClaims
    void claim(const std::string& task, Instant slot, std::uint64_t config, Owner owner,
               std::function<void(ClaimResult, std::uint64_t fence)> done) override;
    void begin_attempt(const std::string& task, const SlotClaim& claim, std::uint32_t attempt,
                       std::uint64_t loop, Owner owner,
                       std::function<void(bool held, const std::string& why)> done) override;
    void finish(const std::string& task, const SlotClaim& claim, const RecordRun& run) override;
    void release(const std::string& task, const SlotClaim& claim) override;
    void cancel(Owner owner) override;
    const std::string& replica() const override { return options_.replica; }

  private:
    struct WaitingClaim {
        ClaimRequest request;
        Owner owner;
        std::function<void(ClaimResult, std::uint64_t)> done;
    };

    Cluster(EventLoop& events, Logger& logger, ClusterOptions options, Hooks hooks);
    void on_state(const PgConnection::Status& status);
    void on_ready();
    void send_claims();
    void poll_control();
    void renew();
    void take_over();
    void prune();
    void schedule_timers();
    // Runs `work` every `period`, on `timer`.
    void repeat(EventSource& timer, Duration period, void (Cluster::*work)());
    void warn_once(const std::string& task, const std::string& text);
    // A slot won before the database's clock reaches it (this replica's clock runs ahead) is
    // answered only once it is due by the database's clock.
    void answer_when_due(Duration early, std::function<void()> answer);
    void recorded();  // a run's end or a release was answered
    // Whether `owner` still waits for answer `ticket`.
    bool still_waiting(Owner owner, std::uint64_t ticket) const;
    std::uint64_t wait_for(Owner owner);

    EventLoop& events_;
    Logger& logger_;
    const ClusterOptions options_;
    Hooks hooks_;
    std::unique_ptr<PgConnection> connection_;
    std::unique_ptr<ClusterStore> store_;
    std::unique_ptr<ClusterControl> control_;
    bool schema_ready_ = false;
    std::vector<WaitingClaim> claims_;  // this turn's, sent together
    EventSource send_;
    // Answers owners wait for, by ticket: cancel() forgets an owner's, so that a runner that is
    // gone is never called back.
    std::map<std::uint64_t, Owner> waiting_;
    std::uint64_t next_ticket_ = 1;
    std::map<std::pair<std::string, Instant>, std::int64_t> running_;  // held: renewed
    std::map<std::string, std::string> hashes_;                        // this replica's config
    std::vector<TakeoverPolicy> policies_;
    std::int64_t control_revision_ = 0;
    std::set<std::string> warned_;
    std::map<std::uint64_t, EventSource> held_answers_;  // won early, answered when due
    std::uint64_t next_held_answer_ = 0;
    bool warned_clock_ahead_ = false;
    std::size_t records_in_flight_ = 0;
    std::function<void()> when_recorded_;
    EventSource renew_timer_;
    EventSource takeover_timer_;
    EventSource takeover_again_;  // the next round of a backlog of expired claims
    EventSource poll_timer_;
    EventSource prune_timer_;
};

}  // namespace tasksrun

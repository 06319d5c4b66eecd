#include "runtime/cluster.hpp"

#include <cstdio>

#include "cluster/pg_conninfo.hpp"
#include "cluster/schema.hpp"
#include "event/clock.hpp"
#include "runtime/webhooks.hpp"
#include "util/duration.hpp"
#include "util/host_name.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

// ctl changes reach every replica by NOTIFY; a notification sent while a replica was cut off
// is lost, so it also asks this often.
constexpr Duration kControlPollInterval = std::chrono::seconds{5};
constexpr Duration kPruneInterval = std::chrono::hours{1};
constexpr std::size_t kTakeoversPerRound = 100;
// A slot is never fired before the database's clock reaches it: every replica compares the slot
// with one clock, so one whose own clock runs ahead cannot fire early. Below this, the
// difference is the round trip, not a clock that is off.
constexpr Duration kClockTolerance = std::chrono::milliseconds{50};
constexpr Duration kClockWarning = std::chrono::seconds{1};

ClaimResult result_of(ClaimVerdict verdict) {
    switch (verdict) {
        case ClaimVerdict::won:
            return ClaimResult::won;
        case ClaimVerdict::config_differs:
            return ClaimResult::config_differs;
        case ClaimVerdict::taken:
        case ClaimVerdict::pruned:
            break;
    }
    return ClaimResult::taken;
}

RunOutcome outcome_of(RunStatus status) {
    switch (status) {
        case RunStatus::ok:
            return RunOutcome::ok;
        case RunStatus::cancelled:
            return RunOutcome::cancelled;
        case RunStatus::stopped:
            return RunOutcome::stopped;
        case RunStatus::failed:
        case RunStatus::retrying:
            break;
    }
    return RunOutcome::failed;
}

const char* state_name(PgConnection::State state) {
    switch (state) {
        case PgConnection::State::connected:
            return "connected";
        case PgConnection::State::connecting:
            return "connecting";
        case PgConnection::State::down:
            break;
    }
    return "down";
}

}  // namespace

std::string config_hash(const TaskConfig& task) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(task.fingerprint));
    return text;
}

std::expected<std::unique_ptr<Cluster>, std::string> Cluster::start(EventLoop& events,
                                                                    Logger& logger,
                                                                    const ClusterSettings& settings,
                                                                    Redactor& redactor,
                                                                    Hooks hooks) {
    auto conninfo = read_secret(settings.url);
    if (!conninfo) return std::unexpected("cluster: " + conninfo.error());
    for (std::string& secret : conninfo_secrets(*conninfo)) redactor.add_secret(std::move(secret));
    ClusterOptions options{.replica = settings.replica.value_or(host_name())};
    std::unique_ptr<Cluster> cluster(new Cluster(events, logger, options, std::move(hooks)));
    Cluster* self = cluster.get();
    auto connection = PgConnection::create(
        events, std::move(*conninfo), PgConnection::Options{},
        PgConnection::Handlers{
            .state_changed = [self](const PgConnection::Status& status) { self->on_state(status); },
            .notified = [self](const std::string&, const std::string&) { self->poll_control(); }});
    if (!connection) return std::unexpected("cluster: " + connection.error());
    cluster->connection_ = std::move(*connection);
    cluster->store_ = std::make_unique<ClusterStore>(*cluster->connection_, options);
    cluster->control_ = std::make_unique<ClusterControl>(*cluster->connection_, options);
    logger.message(LogLevel::info, "cluster: replica \"" + options.replica +
                                       "\" of the cluster at " + cluster->connection_->target());
    cluster->connection_->start();
    return cluster;
}

Cluster::Cluster(EventLoop& events, Logger& logger, ClusterOptions options, Hooks hooks)
    : events_(events), logger_(logger), options_(std::move(options)), hooks_(std::move(hooks)) {}

Cluster::~Cluster() = default;

void Cluster::on_state(const PgConnection::Status& status) {
    if (status.state == PgConnection::State::connected) {
        logger_.message(LogLevel::info, "cluster: connected to " + connection_->target());
        if (schema_ready_) {
            on_ready();
            return;
        }
        migrate_schema(
            *connection_, cluster_migrations(),
            [this](std::expected<SchemaVersions, PgError> migrated) {
                if (!migrated) {
                    // A connection error comes back with the next connection.
                    if (!migrated.error().connection) {
                        logger_.message(
                            LogLevel::error,
                            "cluster: cannot set up the schema: " + migrated.error().message +
                                "; nothing is claimed, so nothing fires");
                    }
                    return;
                }
                if (migrated->before != migrated->after) {
                    logger_.message(LogLevel::info, "cluster: schema version " +
                                                        std::to_string(migrated->before) + " -> " +
                                                        std::to_string(migrated->after));
                }
                schema_ready_ = true;
                on_ready();
            });
        return;
    }
    // Loud, but not a line per retry: the first failure and then every twentieth.
    if (status.state == PgConnection::State::down &&
        (status.failed_attempts == 1 || status.failed_attempts % 20 == 0)) {
        logger_.message(LogLevel::error,
                        "cluster: the database at " + connection_->target() +
                            " is unreachable since " +
                            format_utc(std::chrono::floor<std::chrono::seconds>(
                                status.down_since.value_or(status.since))) +
                            " (" + status.last_error +
                            "): nothing is claimed, so nothing fires until it answers");
    }
}

void Cluster::on_ready() {
    control_->listen();
    if (!hashes_.empty()) {
        control_->publish_config(hashes_, [this](std::expected<void, PgError> published) {
            if (!published)
                logger_.message(LogLevel::warn, "cluster: " + published.error().message);
        });
    }
    poll_control();
    schedule_timers();
    if (hooks_.reconnected) hooks_.reconnected();
}

void Cluster::schedule_timers() {
    if (renew_timer_) return;  // once; they keep themselves going
    repeat(renew_timer_, options_.lease / 3, &Cluster::renew);
    repeat(takeover_timer_, options_.lease / 2, &Cluster::take_over);
    repeat(poll_timer_, kControlPollInterval, &Cluster::poll_control);
    repeat(prune_timer_, kPruneInterval, &Cluster::prune);
}

void Cluster::repeat(EventSource& timer, Duration period, void (Cluster::*work)()) {
    // Each run arms the next: the timer's new source replaces the one whose callback runs.
    timer = events_.elapsed_timer(period, [this, &timer, period, work] {
        (this->*work)();
        repeat(timer, period, work);
    });
}

bool Cluster::connected() const {
    return schema_ready_ && connection_->status().state == PgConnection::State::connected;
}

void Cluster::use_config(const Config& config) {
    hashes_.clear();
    policies_.clear();
    for (const TaskConfig& task : config.tasks) {
        hashes_[task.name] = config_hash(task);
        if (!task.enabled) continue;
        // A slot older than misfire_grace is never run late; with misfire = skip, never.
        const Duration rerun_within =
            task.misfire == Misfire::run_once ? task.misfire_grace : Duration::zero();
        policies_.push_back({task.name, hashes_[task.name], task.on_crash, rerun_within});
    }
    if (!connected()) return;  // published once connected
    control_->publish_config(hashes_, [this](std::expected<void, PgError> published) {
        if (!published) logger_.message(LogLevel::warn, "cluster: " + published.error().message);
    });
}

std::uint64_t Cluster::wait_for(Owner owner) {
    const std::uint64_t ticket = next_ticket_++;
    waiting_.emplace(ticket, owner);
    return ticket;
}

bool Cluster::still_waiting(Owner owner, std::uint64_t ticket) const {
    const auto it = waiting_.find(ticket);
    return it != waiting_.end() && it->second == owner;
}

void Cluster::cancel(Owner owner) {
    std::erase_if(waiting_, [owner](const auto& entry) { return entry.second == owner; });
}

void Cluster::claim(const std::string& task, Instant slot, std::uint64_t config, Owner owner,
                    std::function<void(ClaimResult, std::uint64_t fence)> done) {
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(config));
    const std::uint64_t ticket = wait_for(owner);
    claims_.push_back(WaitingClaim{
        ClaimRequest{task, slot, hash}, owner,
        [this, owner, ticket, done = std::move(done)](ClaimResult result, std::uint64_t fence) {
            if (!still_waiting(owner, ticket)) return;
            waiting_.erase(ticket);
            done(result, fence);
        }});
    // Every slot due in this turn of the loop goes in one statement.
    if (!send_) {
        send_ = events_.defer([this] {
            send_.reset();
            send_claims();
        });
    }
}

void Cluster::send_claims() {
    std::vector<WaitingClaim> batch = std::move(claims_);
    claims_.clear();
    if (!connected()) {
        for (WaitingClaim& waiting : batch) waiting.done(ClaimResult::unreachable, 0);
        return;
    }
    std::vector<ClaimRequest> requests;
    requests.reserve(batch.size());
    for (const WaitingClaim& waiting : batch) requests.push_back(waiting.request);
    store_->claim(
        std::move(requests), [this, batch = std::move(batch)](
                                 std::expected<std::vector<ClaimOutcome>, PgError> outcomes) {
            if (!outcomes) {
                logger_.message(LogLevel::error, "cluster: claiming " +
                                                     std::to_string(batch.size()) +
                                                     " slots failed: " + outcomes.error().message);
                for (const WaitingClaim& waiting : batch) waiting.done(ClaimResult::unreachable, 0);
                return;
            }
            for (std::size_t i = 0; i < batch.size() && i < outcomes->size(); ++i) {
                const ClaimOutcome& outcome = (*outcomes)[i];
                // Agreeing again: a later disagreement is news again.
                if (outcome.verdict == ClaimVerdict::won) warned_.erase(outcome.task);
                if (outcome.verdict == ClaimVerdict::config_differs) {
                    warn_once(
                        outcome.task,
                        "this replica's config for the task (" + batch[i].request.config_hash +
                            ") is not the one the cluster runs it with (" + outcome.cluster_hash +
                            "): its slots are left to the replicas that have it");
                }
                const ClaimResult result = result_of(outcome.verdict);
                const auto fence = static_cast<std::uint64_t>(outcome.fence);
                const Duration early = outcome.slot - outcome.lease.db_now;
                if (result == ClaimResult::won && early > kClockTolerance) {
                    answer_when_due(early,
                                    [done = batch[i].done, result, fence] { done(result, fence); });
                    continue;
                }
                batch[i].done(result, fence);
            }
        });
}

void Cluster::answer_when_due(Duration early, std::function<void()> answer) {
    if (!warned_clock_ahead_ && early > kClockWarning) {
        warned_clock_ahead_ = true;
        char seconds[32];
        std::snprintf(seconds, sizeof seconds, "%.1f s", to_milliseconds(early) / 1000);
        logger_.message(LogLevel::warn,
                        "cluster: this replica's clock is " + std::string(seconds) +
                            " ahead of the database's; it waits for the database's clock before "
                            "firing a slot it won (check this host's time synchronisation)");
    }
    // On this replica's wall clock, like the slot itself. The claim's lease runs meanwhile and
    // begin_attempt renews it; a replica ahead by more than a lease loses the slot to a takeover,
    // which runs it by the database's clock.
    const std::uint64_t id = next_held_answer_++;
    held_answers_.emplace(id, events_.wall_clock_timer(wall_clock_now() + early,
                                                       [this, id, answer = std::move(answer)] {
                                                           answer();
                                                           held_answers_.erase(id);
                                                       }));
}

void Cluster::warn_once(const std::string& task, const std::string& text) {
    if (warned_.insert(task).second) logger_.message(LogLevel::warn, "cluster: " + text, task);
}

void Cluster::begin_attempt(const std::string& task, const SlotClaim& claim, std::uint32_t attempt,
                            std::uint64_t loop, Owner owner,
                            std::function<void(bool held, const std::string& why)> done) {
    const std::uint64_t ticket = wait_for(owner);
    const ClaimId id{task, claim.slot, static_cast<std::int64_t>(claim.fence)};
    store_->begin_attempt(
        id, attempt, loop,
        [this, id, owner, ticket,
         done = std::move(done)](std::expected<AttemptGrant, PgError> grant) {
            if (!still_waiting(owner, ticket)) return;
            waiting_.erase(ticket);
            if (!grant) {
                done(false, "the cluster's database did not answer: " + grant.error().message);
                return;
            }
            if (!grant->held) {
                running_.erase({id.task, id.slot});
                done(false, grant->reason);
                return;
            }
            running_[{id.task, id.slot}] = id.fence;
            done(true, {});
        });
}

void Cluster::finish(const std::string& task, const SlotClaim& claim, const RecordRun& run) {
    running_.erase({task, claim.slot});
    const RunEnd end{.outcome = outcome_of(run.status),
                     .attempts = run.attempts,
                     .duration = run.elapsed,
                     .failure_class = run.failure ? to_string(*run.failure) : "",
                     .message = run.message};
    ++records_in_flight_;
    store_->finish({task, claim.slot, static_cast<std::int64_t>(claim.fence)}, end,
                   [this, task, slot = claim.slot](std::expected<bool, PgError> written) {
                       if (!written) {
                           logger_.message(LogLevel::warn,
                                           "cluster: the run's end was not recorded: " +
                                               written.error().message,
                                           task);
                       } else if (!*written) {
                           logger_.message(LogLevel::warn,
                                           "cluster: slot " + format_utc(slot) +
                                               " is no longer this replica's (taken over, or "
                                               "finished by another): how its run here ended is "
                                               "not recorded",
                                           task);
                       }
                       recorded();
                   });
}

void Cluster::release(const std::string& task, const SlotClaim& claim) {
    running_.erase({task, claim.slot});
    ++records_in_flight_;
    store_->finish({task, claim.slot, static_cast<std::int64_t>(claim.fence)},
                   RunEnd{.outcome = RunOutcome::skipped, .attempts = 0},
                   [this](std::expected<bool, PgError>) { recorded(); });
}

void Cluster::recorded() {
    if (--records_in_flight_ > 0 || !when_recorded_) return;
    auto done = std::move(when_recorded_);
    when_recorded_ = nullptr;
    done();
}

void Cluster::when_recorded(std::function<void()> done) {
    if (records_in_flight_ == 0) {
        done();
        return;
    }
    when_recorded_ = std::move(done);
}

void Cluster::renew() {
    if (running_.empty() || !connected()) return;
    std::vector<ClaimId> held;
    for (const auto& [key, fence] : running_) held.push_back({key.first, key.second, fence});
    store_->renew(std::move(held), [this](std::expected<std::vector<Renewal>, PgError> renewals) {
        if (!renewals) return;  // tried again in lease / 3; begin_attempt checks anyway
        for (const Renewal& renewal : *renewals) {
            if (renewal.renewed) continue;
            running_.erase({renewal.claim.task, renewal.claim.slot});
            logger_.message(LogLevel::warn,
                            "cluster: the lease of slot " + format_utc(renewal.claim.slot) +
                                " ran out before it could be renewed; its iteration starts no "
                                "further attempt",
                            renewal.claim.task);
        }
    });
}

void Cluster::take_over() {
    if (policies_.empty() || !connected()) return;
    store_->take_over_expired(
        policies_, kTakeoversPerRound,
        [this](std::expected<std::vector<Takeover>, PgError> takeovers) {
            if (!takeovers) return;
            // A full round leaves more behind (a replica running hundreds of slots died): the
            // next round goes at once, not a lease / 2 later.
            if (takeovers->size() >= kTakeoversPerRound && !takeover_again_) {
                takeover_again_ = events_.defer([this] {
                    takeover_again_.reset();
                    take_over();
                });
            }
            for (const Takeover& takeover : *takeovers) {
                const std::string slot = format_utc(takeover.slot);
                if (takeover.action == TakeoverAction::abandoned) {
                    logger_.message(LogLevel::warn,
                                    "cluster: slot " + slot + " of replica \"" +
                                        takeover.previous_replica +
                                        "\", which stopped renewing its lease, is recorded "
                                        "abandoned (on_crash = \"skip\", or past misfire_grace)",
                                    takeover.task);
                    continue;
                }
                logger_.message(LogLevel::warn,
                                "cluster: slot " + slot + " of replica \"" +
                                    takeover.previous_replica +
                                    "\", which stopped renewing its lease, runs here again "
                                    "(on_crash = \"rerun\")",
                                takeover.task);
                if (hooks_.rerun) {
                    hooks_.rerun(
                        takeover.task,
                        SlotClaim{takeover.slot, static_cast<std::uint64_t>(takeover.fence)});
                }
            }
        });
}

void Cluster::prune() {
    if (!connected()) return;
    store_->prune([this](std::expected<std::uint64_t, PgError> pruned) {
        if (!pruned) logger_.message(LogLevel::warn, "cluster: pruning: " + pruned.error().message);
    });
}

void Cluster::poll_control() {
    if (!connected()) return;
    const bool first = control_revision_ == 0;
    control_->poll(control_revision_, [this,
                                       first](std::expected<ControlChanges, PgError> changes) {
        if (!changes) return;
        control_revision_ = std::max(control_revision_, changes->revision);
        for (const TaskControl& change : changes->tasks) {
            // This replica applied its own changes when it made them; at start, it takes the
            // whole state, its own earlier changes included.
            if (!first && change.changed_by == options_.replica) continue;
            if (hooks_.control_changed) hooks_.control_changed(change);
        }
        // Reloads asked for before this replica started are history, not a request to it.
        if (first) return;
        const bool asked = std::ranges::any_of(changes->reloads, [this](const ReloadRequest& r) {
            return r.requested_by != options_.replica;
        });
        if (asked && hooks_.reload_requested) hooks_.reload_requested();
    });
}

void Cluster::set_stopped(const std::string& task, bool stopped) {
    control_->set_stopped(task, stopped, [this, task](std::expected<TaskControl, PgError> set) {
        if (!set) {
            logger_.message(
                LogLevel::error,
                "cluster: the change did not reach the other replicas: " + set.error().message,
                task);
        }
    });
}

void Cluster::set_schedule(const std::string& task, const nlohmann::json& schedule) {
    control_->set_schedule(task, schedule.dump(),
                           [this, task](std::expected<TaskControl, PgError> set) {
                               if (!set) {
                                   logger_.message(LogLevel::error,
                                                   "cluster: the change did not reach the other "
                                                   "replicas: " +
                                                       set.error().message,
                                                   task);
                               }
                           });
}

void Cluster::request_reload() {
    control_->request_reload([this](std::expected<std::int64_t, PgError> asked) {
        if (!asked) {
            logger_.message(
                LogLevel::error,
                "cluster: the other replicas were not asked to reload: " + asked.error().message);
        }
    });
}

nlohmann::json Cluster::status() const {
    const PgConnection::Status& status = connection_->status();
    nlohmann::json json{
        {"replica", options_.replica},
        {"database", connection_->target()},
        {"state", connected() ? "connected" : state_name(status.state)},
        {"since", format_utc(std::chrono::floor<std::chrono::seconds>(status.since))},
        {"down_since", nullptr},
        {"last_error", status.last_error}};
    if (status.down_since) {
        json["down_since"] =
            format_utc(std::chrono::floor<std::chrono::seconds>(*status.down_since));
    }
    if (status.state == PgConnection::State::connected && !schema_ready_)
        json["state"] = "setting up the schema";
    return json;
}

}  // namespace tasksrun

#pragma once
// The seam between a task's runner and the cluster (SPEC 14): claiming a due slot, checking
// before each attempt that the claim is still held, and recording how the slot's run ended.
// The daemon's is Cluster (on PostgreSQL); tests/runtime has a fake. Absent outside cluster mode.
#include <cstdint>
#include <functional>
#include <string>

#include "loop/events.hpp"

namespace tasksrun {

class SlotClaims {
  public:
    // Who waits for an answer (a task's runner), so that its answers can be dropped together.
    using Owner = const void*;

    virtual ~SlotClaims() = default;

    // Claims `slot` of `task` for this replica; the claims of one turn of the event loop go to
    // the database together. `config` is the task's fingerprint: a replica whose config for the
    // task is not the cluster's does not get its slots. `done` is called once, later.
    virtual void claim(const std::string& task, Instant slot, std::uint64_t config, Owner owner,
                       std::function<void(ClaimResult, std::uint64_t fence)> done) = 0;
    // Before attempt `attempt` of a won slot: whether this replica still holds it. `done(held,
    // why)` is called once, later.
    virtual void begin_attempt(const std::string& task, const SlotClaim& claim,
                               std::uint32_t attempt, std::uint64_t loop, Owner owner,
                               std::function<void(bool held, const std::string& why)> done) = 0;
    // How the slot's run ended (a final status); its lease is no longer renewed.
    virtual void finish(const std::string& task, const SlotClaim& claim, const RecordRun& run) = 0;
    // A won slot that will not run here after all (the loop stopped meanwhile).
    virtual void release(const std::string& task, const SlotClaim& claim) = 0;
    // Drops the answers `owner` still waits for.
    virtual void cancel(Owner owner) = 0;
    // This replica's name (TASKSRUN_REPLICA).
    virtual const std::string& replica() const = 0;
};

}  // namespace tasksrun

#pragma once
// One running action, command or webhook. Whoever starts one gets its Outcome exactly once,
// from the event loop, also after abort() (then marked cancelled).
namespace tasksrun {

class ActionRun {
  public:
    virtual ~ActionRun() = default;
    // Cancel: a command's process group is signalled; a webhook's transfer is dropped.
    virtual void abort() = 0;
};

}  // namespace tasksrun

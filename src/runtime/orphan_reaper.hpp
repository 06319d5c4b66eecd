#pragma once
// As PID 1 in a container, every orphaned process in it becomes our child: a command's
// background job that outlives it, say. Nobody else will wait for them, so this does, on each
// SIGCHLD, for every child that no child source of the event loop is waiting for.
#include "event/event_loop.hpp"

namespace tasksrun {

class OrphanReaper {
  public:
    explicit OrphanReaper(EventLoop& events);

    // Reaps the children that have exited and that the event loop does not watch.
    void reap();

  private:
    EventLoop& events_;
    EventSource sigchld_;
};

}  // namespace tasksrun

#pragma once
// A relative interval: slots anchor, anchor + period, anchor + 2 period, ... never "now +
// period", so a slow iteration does not make the schedule drift (SPEC 4.3).
#include "util/instant.hpp"

namespace tasksrun {

class IntervalSchedule {
  public:
    // Precondition: period >= 0. A zero period means iterations run back to back.
    explicit IntervalSchedule(Duration period) : period_(period) {}

    Duration period() const { return period_; }

    // The first slot of the grid anchored at `anchor` that lies strictly after t; `anchor`
    // itself when t is before it. With a zero period every instant is a slot, so the answer is
    // max(t, anchor): "as soon as possible".
    Instant next_after(Instant t, Instant anchor) const;

  private:
    Duration period_;
};

}  // namespace tasksrun

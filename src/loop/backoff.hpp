#pragma once
// discord.py's ExponentialBackoff as SPEC 4.4 states it: retry k waits uniform(0, base * 2^min(k,
// 10)), so never more than 1024 s with base 1 s; a success resets it.
#include <cstdint>
#include <random>

#include "util/instant.hpp"

namespace tasksrun {

class Backoff {
  public:
    explicit Backoff(Duration base = std::chrono::seconds{1}) : base_(base) {}

    // The delay before the next retry; each call raises the exponent (up to 10).
    Duration next_delay(std::minstd_rand& random);
    void reset() { exponent_ = 0; }
    // The largest delay the next call can return.
    Duration next_cap() const;

  private:
    static constexpr unsigned kMaxExponent = 10;
    Duration base_;
    unsigned exponent_ = 0;
};

}  // namespace tasksrun

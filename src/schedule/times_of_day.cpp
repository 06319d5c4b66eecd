#include "schedule/times_of_day.hpp"

#include <algorithm>

namespace tasksrun {

TimesOfDay::TimesOfDay(std::vector<std::chrono::seconds> since_midnight)
    : times_(std::move(since_midnight)) {
    std::ranges::sort(times_);
    const auto [first, last] = std::ranges::unique(times_);
    times_.erase(first, last);
}

bool TimesOfDay::matches(date::local_seconds t) const {
    const date::local_days day = date::floor<date::days>(t);
    return std::ranges::binary_search(times_, t - day);
}

std::optional<date::local_seconds> TimesOfDay::next_match(date::local_seconds from,
                                                          date::local_seconds until) const {
    if (times_.empty()) return std::nullopt;
    const date::local_days day = date::floor<date::days>(from);
    const auto later_today = std::ranges::lower_bound(times_, from - day);
    const date::local_seconds candidate =
        later_today != times_.end() ? day + *later_today : day + date::days{1} + times_.front();
    if (candidate >= until) return std::nullopt;
    return candidate;
}

}  // namespace tasksrun

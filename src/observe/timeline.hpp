#pragma once
// Each task's runs over the last 24 hours, drawn as an inline SVG strip for the status page.
// Time is cut into 288 columns of 5 minutes; a column shows the most serious outcome of the runs
// that touched it, and adjacent columns alike are drawn as one mark. So a strip costs at most
// a few hundred marks, whatever the task's rate, and a one-minute run is still wide enough to
// see on a phone. Runs are folded into columns as the state database yields them, one task at a
// time: a day of history is never held in memory, only the marks drawn from it.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "state/state_store.hpp"
#include "util/instant.hpp"

namespace tasksrun {

inline constexpr Duration kTimelineSpan = std::chrono::hours{24};
inline constexpr std::size_t kTimelineColumns = 288;
// A run that started this much late or more is marked late.
inline constexpr Duration kTimelineLate = std::chrono::seconds{1};

// In increasing order of seriousness: a column shows the most serious one.
enum class MarkKind : std::uint8_t { none, ok, running, stopped, retried, failed };

// How a run from history is drawn: ok; retried (succeeded after retries, or waiting to retry
// now); failed; stopped (cancelled, stopped, or interrupted by a daemon that died); running.
MarkKind mark_kind(const RunRecord& run);
// The CSS class of a kind ("ok", "retried", ...); the page's legend uses the same.
std::string_view mark_class(MarkKind kind);

// Adjacent columns alike, as one mark.
struct TimelineMark {
    std::size_t first_column = 0;
    std::size_t columns = 0;
    MarkKind kind = MarkKind::none;
    std::uint32_t runs = 0;
    Duration max_lateness{0};
};

struct Timeline {
    std::vector<TimelineMark> outcomes;
    std::vector<TimelineMark> late;  // columns with a run that started kTimelineLate or later
};

// How the newest finished run of a task in the database ended.
struct RecentOutcome {
    std::uint64_t loop = 0;
    std::string outcome;
    std::string failure_class;
    Instant ended{};
    Duration duration{0};
};

struct TaskHistory {
    Timeline timeline;
    std::optional<RecentOutcome> newest = std::nullopt;  // nullopt: none finished
};

struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const {
        return std::hash<std::string_view>{}(name);
    }
};
using TaskHistories = std::unordered_map<std::string, TaskHistory, NameHash, std::equal_to<>>;

class TimelineCollector final : public RunSink {
  public:
    // The strip ends with the 5-minute column that holds `now`.
    explicit TimelineCollector(Instant now);

    // Where the strip begins: runs that started earlier are not asked for.
    Instant since() const { return from_; }
    // Precondition: the runs of one task come together (in any order among themselves), as
    // StateStore::runs_since gives them. A run without a duration (running) lasts until now.
    void add(const RunRecord& run) override;
    TaskHistories finish();

  private:
    struct Column {
        MarkKind kind = MarkKind::none;
        std::uint32_t runs = 0;  // runs that started in this column
        std::uint32_t late_runs = 0;
        Duration max_lateness{0};
    };

    void close_task();

    const Instant now_;
    const Instant end_;
    const Instant from_;
    std::string task_;  // whose runs the columns hold
    std::array<Column, kTimelineColumns> columns_{};
    std::optional<RecentOutcome> newest_;
    std::int64_t newest_id_ = 0;
    TaskHistories done_;
};

// <svg>...</svg>, with a <title> on each mark. `task` names it for screen readers.
void append_timeline_svg(std::string& out, const Timeline& timeline, std::string_view task,
                         Instant now);

}  // namespace tasksrun

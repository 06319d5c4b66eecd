#pragma once
// Lifecycle events, command output and daemon messages, as text or JSON lines on stderr, or,
// when stderr is the journal, as journal entries with fields (SPEC 7 and 10.6).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "log/redact.hpp"
#include "loop/events.hpp"

namespace spdlog {
class logger;
}

namespace tasksrun {

struct JournalFields;

enum class LogFormat { text, json };
enum class LogLevel { trace, debug, info, warn, error };

class Logger {
  public:
    // Lines go to the journal when `$JOURNAL_STREAM` names stderr, else to stderr.
    Logger(LogFormat format, LogLevel level);
    ~Logger();

    // One line: task, event, loop, and each field of the record that is set. lateness_ms,
    // duration_ms and delay_ms are milliseconds with three decimals. An `error` event is logged
    // as an error; a retry, a misfire and a failed hook as warnings.
    void lifecycle(std::string_view task, const LifecycleRecord& record);
    // A line a command printed, under its task's name (and its hook's, for a hook).
    void output(std::string_view task, std::string_view stream, std::string_view line,
                std::optional<HookKind> hook = std::nullopt);
    // Daemon-level messages, with an optional task.
    void message(LogLevel level, std::string_view text, std::string_view task = {});

    // From now on every line is scrubbed of these secrets before it is written.
    void set_redactor(std::shared_ptr<const Redactor> redactor) { redactor_ = std::move(redactor); }

    // Batching for a busy daemon: lines are buffered, and `schedule_flush` is called after a
    // line is written to an empty buffer; the owner then calls flush() soon after (and at exit).
    // Without it every line is written at once. Journal entries are sent at once regardless.
    void batch(std::function<void()> schedule_flush);
    void flush();
    // Writes what is buffered and goes back to writing each line at once.
    void end_batch();

  private:
    bool enabled(LogLevel level) const;
    void write(LogLevel level, const std::string& line, const JournalFields& fields);

    const LogFormat format_;
    const bool journal_;
    std::shared_ptr<spdlog::logger> sink_;
    std::shared_ptr<const Redactor> redactor_;
    std::function<void()> schedule_flush_;
    bool flush_pending_ = false;
};

LogLevel parse_log_level(std::string_view name);  // precondition: a valid level name

}  // namespace tasksrun

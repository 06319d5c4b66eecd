#pragma once
// Lifecycle events, command output and daemon messages, as text or JSON lines on stderr
// (journald adds its own metadata under systemd). SPEC section 7.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "log/redact.hpp"
#include "loop/events.hpp"

namespace spdlog {
class logger;
}

namespace tasksrun {

enum class LogFormat { text, json };
enum class LogLevel { trace, debug, info, warn, error };

class Logger {
  public:
    Logger(LogFormat format, LogLevel level);
    ~Logger();

    // One line: task, event, loop, and each field of the record that is set. lateness_ms,
    // duration_ms and delay_ms are milliseconds with three decimals.
    void lifecycle(std::string_view task, const LifecycleRecord& record);
    // A line a command printed, under its task's name.
    void output(std::string_view task, std::string_view stream, std::string_view line);
    // Daemon-level messages, with an optional task.
    void message(LogLevel level, std::string_view text, std::string_view task = {});

    // From now on every line is scrubbed of these secrets before it is written.
    void set_redactor(std::shared_ptr<const Redactor> redactor) { redactor_ = std::move(redactor); }

    // Batching for a busy daemon: lines are buffered, and `schedule_flush` is called after a
    // line is written to an empty buffer; the owner then calls flush() soon after (and at exit).
    // Without it every line is written at once.
    void batch(std::function<void()> schedule_flush);
    void flush();
    // Writes what is buffered and goes back to writing each line at once.
    void end_batch();

  private:
    void write(int level, const std::string& line);

    const LogFormat format_;
    std::shared_ptr<spdlog::logger> sink_;
    std::shared_ptr<const Redactor> redactor_;
    std::function<void()> schedule_flush_;
    bool flush_pending_ = false;
};

LogLevel parse_log_level(std::string_view name);  // precondition: a valid level name

}  // namespace tasksrun

#include "log/logger.hpp"

#include <spdlog/spdlog.h>

#include "log/journal.hpp"
#include "log/json_line.hpp"
#include "log/stderr_sink.hpp"
#include "log/text_escape.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
            return spdlog::level::trace;
        case LogLevel::debug:
            return spdlog::level::debug;
        case LogLevel::info:
            return spdlog::level::info;
        case LogLevel::warn:
            return spdlog::level::warn;
        case LogLevel::error:
            break;
    }
    return spdlog::level::err;
}

JournalPriority to_journal(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
        case LogLevel::debug:
            return JournalPriority::debug;
        case LogLevel::info:
            return JournalPriority::info;
        case LogLevel::warn:
            return JournalPriority::warning;
        case LogLevel::error:
            break;
    }
    return JournalPriority::err;
}

std::string_view level_name(LogLevel level) {
    const auto name = spdlog::level::to_string_view(to_spdlog(level));
    return {name.data(), name.size()};
}

LogLevel level_of(const LifecycleRecord& record) {
    using enum LifecycleEvent;
    if (record.event == error) return LogLevel::error;
    const bool failed_hook = record.event == hook_end && record.failure_class;
    if (record.event == retry || record.event == misfire || failed_hook) return LogLevel::warn;
    return LogLevel::info;
}

// " key=12.345"
void append_milliseconds_field(std::string& line, std::string_view key, Duration value) {
    line += ' ';
    line += key;
    line += '=';
    append_milliseconds(line, value);
}

// A JSON log line starts with when and how severe; the caller adds the rest.
JsonLine json_line(LogLevel level) {
    JsonLine line;
    line.string(
        "time",
        format_utc(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now())));
    line.string("level", level_name(level));
    return line;
}

}  // namespace

LogLevel parse_log_level(std::string_view name) {
    if (name == "trace") return LogLevel::trace;
    if (name == "debug") return LogLevel::debug;
    if (name == "warn") return LogLevel::warn;
    if (name == "error") return LogLevel::error;
    return LogLevel::info;
}

Logger::Logger(LogFormat format, LogLevel level)
    : format_(format),
      journal_(stderr_is_journal()),
      sink_(std::make_shared<spdlog::logger>("tasksrun", std::make_shared<StderrSink>())) {
    // JSON lines carry their own "time"; text lines start with a UTC timestamp and the level,
    // padded to the longest name ("warning") so that the messages line up.
    sink_->set_pattern(format == LogFormat::json ? "%v" : "%Y-%m-%dT%H:%M:%S.%eZ %-7l %v",
                       spdlog::pattern_time_type::utc);
    sink_->set_level(to_spdlog(level));
    sink_->flush_on(spdlog::level::trace);
}

Logger::~Logger() = default;

bool Logger::enabled(LogLevel level) const {
    return sink_->should_log(to_spdlog(level));
}

void Logger::write(LogLevel level, const std::string& line, const JournalFields& fields) {
    const std::string scrubbed = redactor_ ? redactor_->scrub(line) : line;
    // The journal keeps its own time and priority, so the message is the line alone.
    if (journal_ && send_to_journal(to_journal(level), scrubbed, fields)) return;
    sink_->log(to_spdlog(level), scrubbed);
    if (schedule_flush_ && !flush_pending_) {
        flush_pending_ = true;
        schedule_flush_();
    }
}

void Logger::batch(std::function<void()> schedule_flush) {
    sink_->flush_on(spdlog::level::off);
    schedule_flush_ = std::move(schedule_flush);
}

void Logger::flush() {
    flush_pending_ = false;
    sink_->flush();
}

void Logger::end_batch() {
    schedule_flush_ = nullptr;
    flush();
    sink_->flush_on(spdlog::level::trace);
}

void Logger::lifecycle(std::string_view task, const LifecycleRecord& r) {
    const LogLevel level = level_of(r);
    if (!enabled(level)) return;
    const std::string_view hook = r.hook ? to_string(*r.hook) : std::string_view();
    const std::string_view event = to_string(r.event);
    const JournalFields fields{.task = task, .event = event, .loop = r.loop, .hook = hook};
    if (format_ == LogFormat::json) {
        JsonLine line = json_line(level);
        line.string("task", task).string("event", event).integer("loop", r.loop);
        if (r.hook) line.string("hook", hook);
        if (r.scheduled) line.string("scheduled", format_utc(*r.scheduled));
        if (r.lateness) line.milliseconds("lateness_ms", *r.lateness);
        if (r.duration) line.milliseconds("duration_ms", *r.duration);
        if (r.attempt) line.integer("attempt", *r.attempt);
        if (r.failure_class) line.string("class", *r.failure_class);
        if (r.delay) line.milliseconds("delay_ms", *r.delay);
        if (!r.message.empty()) line.string("message", r.message);
        write(level, line.finish(), fields);
        return;
    }
    std::string line = "task=" + logfmt_value(task) + " event=" + std::string(event) +
                       " loop=" + std::to_string(r.loop);
    if (r.hook) line += " hook=" + std::string(hook);
    if (r.scheduled) line += " scheduled=" + format_utc(*r.scheduled);
    if (r.lateness) append_milliseconds_field(line, "lateness_ms", *r.lateness);
    if (r.duration) append_milliseconds_field(line, "duration_ms", *r.duration);
    if (r.attempt) line += " attempt=" + std::to_string(*r.attempt);
    if (r.failure_class) line += " class=" + logfmt_value(*r.failure_class);
    if (r.delay) append_milliseconds_field(line, "delay_ms", *r.delay);
    if (!r.message.empty()) line += " message=" + logfmt_value(r.message);
    write(level, line, fields);
}

void Logger::output(std::string_view task, std::string_view stream, std::string_view text,
                    std::optional<HookKind> hook) {
    if (!enabled(LogLevel::info)) return;
    const std::string_view hook_name = hook ? to_string(*hook) : std::string_view();
    const JournalFields fields{.task = task, .hook = hook_name, .stream = stream};
    if (format_ == LogFormat::json) {
        JsonLine line = json_line(LogLevel::info);
        line.string("task", task);
        if (hook) line.string("hook", hook_name);
        write(LogLevel::info, line.string("stream", stream).string("line", text).finish(), fields);
        return;
    }
    std::string line = "task=" + logfmt_value(task);
    if (hook) line += " hook=" + std::string(hook_name);
    line += ' ';
    line += stream;
    line += ": ";
    append_escaped_text(line, text);
    write(LogLevel::info, line, fields);
}

void Logger::message(LogLevel level, std::string_view text, std::string_view task) {
    if (!enabled(level)) return;
    const JournalFields fields{.task = task};
    if (format_ == LogFormat::json) {
        JsonLine line = json_line(level);
        if (!task.empty()) line.string("task", task);
        write(level, line.string("message", text).finish(), fields);
        return;
    }
    std::string line = task.empty() ? std::string() : "task=" + logfmt_value(task) + " ";
    append_escaped_text(line, text);
    write(level, line, fields);
}

}  // namespace tasksrun

#include "log/logger.hpp"

#include <spdlog/spdlog.h>

#include "log/json_line.hpp"
#include "log/stderr_sink.hpp"
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

// " key=12.345"
std::string milliseconds_field(std::string_view key, Duration value) {
    std::string field = " " + std::string(key) + "=";
    append_milliseconds(field, value);
    return field;
}

// A JSON log line starts with when and how severe; the caller adds the rest.
JsonLine json_line(std::string_view level) {
    JsonLine line;
    line.string(
        "time",
        format_utc(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now())));
    line.string("level", level);
    return line;
}

// logfmt quoting: bare when safe, else a JSON string.
std::string logfmt_value(std::string_view value) {
    const bool bare = !value.empty() && value.find_first_of(" \"=\\\t\n") == std::string_view::npos;
    if (bare) return std::string(value);
    std::string quoted;
    append_json_string(quoted, value);
    return quoted;
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
      sink_(std::make_shared<spdlog::logger>("tasksrun", std::make_shared<StderrSink>())) {
    // JSON lines carry their own "time"; text lines start with a UTC timestamp.
    sink_->set_pattern(format == LogFormat::json ? "%v" : "%Y-%m-%dT%H:%M:%S.%eZ %-5l %v",
                       spdlog::pattern_time_type::utc);
    sink_->set_level(to_spdlog(level));
    sink_->flush_on(spdlog::level::trace);
}

Logger::~Logger() = default;

void Logger::write(int level, const std::string& line) {
    const auto spd_level = static_cast<spdlog::level::level_enum>(level);
    sink_->log(spd_level, redactor_ ? redactor_->scrub(line) : line);
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
    const bool is_error = r.event == "error";
    const auto level = is_error ? spdlog::level::err : spdlog::level::info;
    if (!sink_->should_log(level)) return;
    if (format_ == LogFormat::json) {
        JsonLine line = json_line(is_error ? "error" : "info");
        line.string("task", task).string("event", r.event).integer("loop", r.loop);
        if (r.scheduled) line.string("scheduled", format_utc(*r.scheduled));
        if (r.lateness) line.milliseconds("lateness_ms", *r.lateness);
        if (r.duration) line.milliseconds("duration_ms", *r.duration);
        if (r.attempt) line.integer("attempt", *r.attempt);
        if (r.failure_class) line.string("class", *r.failure_class);
        if (r.delay) line.milliseconds("delay_ms", *r.delay);
        if (!r.message.empty()) line.string("message", r.message);
        write(level, line.finish());
        return;
    }
    std::string line = "task=" + logfmt_value(task) + " event=" + std::string(r.event) +
                       " loop=" + std::to_string(r.loop);
    if (r.scheduled) line += " scheduled=" + format_utc(*r.scheduled);
    if (r.lateness) line += milliseconds_field("lateness_ms", *r.lateness);
    if (r.duration) line += milliseconds_field("duration_ms", *r.duration);
    if (r.attempt) line += " attempt=" + std::to_string(*r.attempt);
    if (r.failure_class) line += " class=" + *r.failure_class;
    if (r.delay) line += milliseconds_field("delay_ms", *r.delay);
    if (!r.message.empty()) line += " message=" + logfmt_value(r.message);
    write(level, line);
}

void Logger::output(std::string_view task, std::string_view stream, std::string_view text) {
    if (!sink_->should_log(spdlog::level::info)) return;
    if (format_ == LogFormat::json) {
        write(spdlog::level::info, json_line("info")
                                       .string("task", task)
                                       .string("stream", stream)
                                       .string("line", text)
                                       .finish());
        return;
    }
    write(spdlog::level::info,
          "task=" + logfmt_value(task) + " " + std::string(stream) + ": " + std::string(text));
}

void Logger::message(LogLevel level, std::string_view text, std::string_view task) {
    const auto spd_level = to_spdlog(level);
    if (!sink_->should_log(spd_level)) return;
    if (format_ == LogFormat::json) {
        JsonLine line = json_line(spdlog::level::to_string_view(spd_level).data());
        if (!task.empty()) line.string("task", task);
        write(spd_level, line.string("message", text).finish());
        return;
    }
    write(spd_level,
          (task.empty() ? std::string() : "task=" + logfmt_value(task) + " ") + std::string(text));
}

}  // namespace tasksrun

#include "log/logger.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <nlohmann/json.hpp>

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

double milliseconds(Duration d) {
    return static_cast<double>(d.count()) / 1000.0;
}

std::string fixed3(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

// A JSON log line starts with when and how severe; the caller adds the rest.
nlohmann::ordered_json json_line(std::string_view level) {
    nlohmann::ordered_json line;
    line["time"] =
        format_utc(std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()));
    line["level"] = level;
    return line;
}

std::string dump(const nlohmann::ordered_json& line) {
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// logfmt quoting: bare when safe, else a JSON string.
std::string logfmt_value(std::string_view value) {
    const bool bare = !value.empty() && value.find_first_of(" \"=\\\t\n") == std::string_view::npos;
    return bare ? std::string(value) : nlohmann::json(std::string(value)).dump();
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
        nlohmann::ordered_json line = json_line(is_error ? "error" : "info");
        line["task"] = task;
        line["event"] = r.event;
        line["loop"] = r.loop;
        if (r.scheduled) line["scheduled"] = format_utc(*r.scheduled);
        if (r.lateness) line["lateness_ms"] = milliseconds(*r.lateness);
        if (r.duration) line["duration_ms"] = milliseconds(*r.duration);
        if (r.attempt) line["attempt"] = *r.attempt;
        if (r.failure_class) line["class"] = *r.failure_class;
        if (r.delay) line["delay_ms"] = milliseconds(*r.delay);
        if (!r.message.empty()) line["message"] = r.message;
        write(level, dump(line));
        return;
    }
    std::string line = "task=" + logfmt_value(task) + " event=" + std::string(r.event) +
                       " loop=" + std::to_string(r.loop);
    if (r.scheduled) line += " scheduled=" + format_utc(*r.scheduled);
    if (r.lateness) line += " lateness_ms=" + fixed3(milliseconds(*r.lateness));
    if (r.duration) line += " duration_ms=" + fixed3(milliseconds(*r.duration));
    if (r.attempt) line += " attempt=" + std::to_string(*r.attempt);
    if (r.failure_class) line += " class=" + *r.failure_class;
    if (r.delay) line += " delay_ms=" + fixed3(milliseconds(*r.delay));
    if (!r.message.empty()) line += " message=" + logfmt_value(r.message);
    write(level, line);
}

void Logger::output(std::string_view task, std::string_view stream, std::string_view text) {
    if (!sink_->should_log(spdlog::level::info)) return;
    if (format_ == LogFormat::json) {
        nlohmann::ordered_json line = json_line("info");
        line["task"] = task;
        line["stream"] = stream;
        line["line"] = text;
        write(spdlog::level::info, dump(line));
        return;
    }
    write(spdlog::level::info,
          "task=" + logfmt_value(task) + " " + std::string(stream) + ": " + std::string(text));
}

void Logger::message(LogLevel level, std::string_view text, std::string_view task) {
    const auto spd_level = to_spdlog(level);
    if (!sink_->should_log(spd_level)) return;
    if (format_ == LogFormat::json) {
        nlohmann::ordered_json line = json_line(spdlog::level::to_string_view(spd_level).data());
        if (!task.empty()) line["task"] = task;
        line["message"] = text;
        write(spd_level, dump(line));
        return;
    }
    write(spd_level,
          (task.empty() ? std::string() : "task=" + logfmt_value(task) + " ") + std::string(text));
}

}  // namespace tasksrun

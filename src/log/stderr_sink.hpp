#pragma once
// An spdlog sink for standard error that keeps formatted lines until flush() and then writes
// them with one write(2). spdlog's own stderr sink flushes after every line, which at a thousand
// lines a second costs a system call each. Single-threaded, like the daemon.
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <string>

namespace tasksrun {

class StderrSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
  protected:
    void sink_it_(const spdlog::details::log_msg& message) override;
    void flush_() override;

  private:
    static constexpr std::size_t kMaxPending = 64 * 1024;
    std::string pending_;
};

}  // namespace tasksrun

#include "log/stderr_sink.hpp"

#include <unistd.h>

#include <cerrno>

namespace tasksrun {

void StderrSink::sink_it_(const spdlog::details::log_msg& message) {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    pending_.append(formatted.data(), formatted.size());
    // A burst (ten thousand tasks starting) is written as it comes rather than held.
    if (pending_.size() >= kMaxPending) flush_();
}

void StderrSink::flush_() {
    std::size_t written = 0;
    while (written < pending_.size()) {
        const ssize_t n =
            ::write(STDERR_FILENO, pending_.data() + written, pending_.size() - written);
        if (n > 0) {
            written += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break;  // nowhere to write the log to: drop it rather than stop the daemon
        }
    }
    pending_.clear();
    if (pending_.capacity() > 2 * kMaxPending) pending_.shrink_to_fit();
}

}  // namespace tasksrun

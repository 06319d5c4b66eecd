#pragma once
// Writing to systemd's journal with fields, so that
// `journalctl -u tasksrun TASKSRUN_TASK=backup -p err` finds a task's errors (SPEC 10.6).
// spdlog's systemd sink sends only the message and priority; the per-line fields need
// sd_journal_sendv itself.
#include <cstdint>
#include <optional>
#include <string_view>

namespace tasksrun {

// Whether standard error is the journal: systemd sets $JOURNAL_STREAM to "DEVICE:INODE" of the
// stream it connects, and a process whose stderr is that stream should log natively.
bool stderr_is_journal();

// What a journal entry says beyond its message; empty views are left out.
struct JournalFields {
    std::string_view task = {};
    std::string_view event = {};
    std::optional<std::uint64_t> loop = std::nullopt;
    std::string_view hook = {};
    std::string_view stream = {};  // stdout or stderr, for a command's output line
};

// syslog priorities, as journald stores them.
enum class JournalPriority { err = 3, warning = 4, info = 6, debug = 7 };

// Sends one entry with SYSLOG_IDENTIFIER=tasksrun. Returns false when the journal did not take
// it (no journald socket, say); the caller then writes the line elsewhere.
bool send_to_journal(JournalPriority priority, std::string_view message,
                     const JournalFields& fields);

}  // namespace tasksrun

#include "log/journal.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <string>
#include <vector>

namespace tasksrun {

bool stderr_is_journal() {
    const char* value = std::getenv("JOURNAL_STREAM");
    if (value == nullptr) return false;
    const std::string_view text(value);
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return false;
    unsigned long long device = 0;
    unsigned long long inode = 0;
    const auto parse = [](std::string_view digits, unsigned long long& number) {
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), number);
        return error == std::errc() && end == digits.data() + digits.size();
    };
    if (!parse(text.substr(0, colon), device) || !parse(text.substr(colon + 1), inode))
        return false;
    struct stat status {};
    if (fstat(STDERR_FILENO, &status) != 0) return false;
    return status.st_dev == device && status.st_ino == inode;
}

bool send_to_journal(JournalPriority priority, std::string_view message,
                     const JournalFields& fields) {
    std::vector<std::string> entries;
    entries.reserve(8);
    entries.push_back("MESSAGE=" + std::string(message));
    entries.push_back("PRIORITY=" + std::to_string(static_cast<int>(priority)));
    entries.emplace_back("SYSLOG_IDENTIFIER=tasksrun");
    const auto add = [&](std::string_view name, std::string_view value) {
        if (!value.empty()) entries.push_back(std::string(name) + "=" + std::string(value));
    };
    add("TASKSRUN_TASK", fields.task);
    add("TASKSRUN_EVENT", fields.event);
    if (fields.loop) entries.push_back("TASKSRUN_LOOP=" + std::to_string(*fields.loop));
    add("TASKSRUN_HOOK", fields.hook);
    add("TASKSRUN_STREAM", fields.stream);
    std::vector<iovec> vectors;
    vectors.reserve(entries.size());
    for (std::string& entry : entries) vectors.push_back({entry.data(), entry.size()});
    return sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size())) >= 0;
}

}  // namespace tasksrun

#include "config/diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace tasksrun {

void Diagnostics::error(SourcePosition at, std::string message) {
    list_.push_back({Diagnostic::Severity::error, at, std::move(message)});
}

void Diagnostics::warning(SourcePosition at, std::string message) {
    list_.push_back({Diagnostic::Severity::warning, at, std::move(message)});
}

std::size_t Diagnostics::error_count() const {
    return static_cast<std::size_t>(std::ranges::count_if(
        list_, [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; }));
}

std::vector<std::string> Diagnostics::formatted() const {
    std::vector<const Diagnostic*> sorted;
    for (const Diagnostic& d : list_) sorted.push_back(&d);
    std::ranges::stable_sort(sorted, [](const Diagnostic* a, const Diagnostic* b) {
        return std::tie(a->position.line, a->position.column) <
               std::tie(b->position.line, b->position.column);
    });
    std::vector<std::string> lines;
    for (const Diagnostic* d : sorted) {
        std::string line = file_ + ":";
        if (d->position.line != 0) {
            line +=
                std::to_string(d->position.line) + ":" + std::to_string(d->position.column) + ":";
        }
        line += d->severity == Diagnostic::Severity::warning ? " warning: " : " ";
        lines.push_back(line + d->message);
    }
    return lines;
}

}  // namespace tasksrun

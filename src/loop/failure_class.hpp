#pragma once
// The classes a failed attempt falls into (SPEC 4.4), and the patterns of `retry_on`.
#include <expected>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tasksrun {

enum class FailureKind { network, timeout, http_429, http_5xx, http_4xx, exit_code, signal, spawn };

struct FailureClass {
    FailureKind kind;
    int exit_code = 0;  // only for FailureKind::exit_code
};

// One entry of `retry_on`: a class, or "exit:N" / "exit:any".
struct FailurePattern {
    FailureKind kind;
    std::optional<int> exit_code;  // nullopt with exit_code kind means "exit:any"

    bool matches(const FailureClass& failure) const;
};

// "network", "timeout", "http-429", "http-5xx", "http-4xx", "exit:N" (1..255), "exit:any",
// "signal", "spawn". Returns a message listing the valid forms otherwise.
std::expected<FailurePattern, std::string> parse_failure_pattern(std::string_view text);

// A task's `retry_on`, immutable and shared: nearly every task uses the default list, and a
// task's config and its Loop both hold it.
using RetryOn = std::shared_ptr<const std::vector<FailurePattern>>;
std::string to_string(const FailureClass& failure);
std::string to_string(const FailurePattern& pattern);

}  // namespace tasksrun

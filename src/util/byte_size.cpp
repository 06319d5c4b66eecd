#include "util/byte_size.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <utility>

namespace tasksrun {
namespace {

constexpr std::array<std::pair<std::string_view, std::uint64_t>, 7> kUnits = {{
    {"B", 1},
    {"KiB", 1ULL << 10},
    {"MiB", 1ULL << 20},
    {"GiB", 1ULL << 30},
    {"kB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000 * 1000 * 1000},
}};

}  // namespace

std::expected<std::uint64_t, std::string> parse_byte_size(std::string_view text) {
    std::uint64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    const std::string written = "\"" + std::string(text) + "\"";
    if (error != std::errc() || end == text.data())
        return std::unexpected(written + " is not a size such as \"1MiB\" or \"512KiB\"");
    const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    for (const auto& [name, scale] : kUnits) {
        if (unit != name) continue;
        if (number > std::numeric_limits<std::uint64_t>::max() / scale)
            return std::unexpected(written + " is too large");
        return number * scale;
    }
    return std::unexpected(written +
                           " has no unit tasksrun knows; use B, KiB, MiB, GiB, kB, MB "
                           "or GB");
}

std::string format_byte_size(std::uint64_t bytes) {
    for (const std::string_view unit : {"GiB", "MiB", "KiB"}) {
        const auto found =
            std::ranges::find(kUnits, unit, &std::pair<std::string_view, std::uint64_t>::first);
        if (bytes != 0 && bytes % found->second == 0)
            return std::to_string(bytes / found->second) + std::string(unit);
    }
    return std::to_string(bytes) + "B";
}

}  // namespace tasksrun

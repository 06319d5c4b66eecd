#pragma once
// Sizes as people write them in configs: "1MiB", "512KiB", "64kB", or a number of bytes.
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

namespace tasksrun {

// A whole number followed by B, KiB, MiB or GiB (powers of 1024) or kB, MB or GB (powers of
// 1000). Returns a message saying what is wrong.
std::expected<std::uint64_t, std::string> parse_byte_size(std::string_view text);

// The shortest exact spelling: 1048576 -> "1MiB", 1500 -> "1500B".
std::string format_byte_size(std::uint64_t bytes);

}  // namespace tasksrun

// libFuzzer target: any bytes as a config file. The loader must answer every input with a
// Config or diagnostics, never crash, hang or trip a sanitizer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const tasksrun::LoadResult result = tasksrun::parse_config(text, "fuzz.toml");
    // Formatting the diagnostics walks every position they carry.
    for (const std::string& line : result.diagnostics.formatted()) static_cast<void>(line.size());
    return 0;
}

#include "schedule/tzif.hpp"

#include <array>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace tasksrun {
namespace {

constexpr std::size_t kHeaderSize = 44;

std::uint64_t big_endian(std::string_view bytes, std::size_t at, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i)
        value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
    return value;
}

// The counts of one header, in the order the file gives them.
struct Counts {
    std::uint64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;

    // Size of the data block that follows the header, with `time_size`-byte times.
    std::uint64_t data_size(std::uint64_t time_size) const {
        return timecnt * time_size + timecnt + typecnt * 6 + charcnt + leapcnt * (time_size + 4) +
               isstdcnt + isutcnt;
    }
};

std::optional<Counts> read_header(std::string_view bytes, std::size_t at) {
    if (bytes.size() < at + kHeaderSize || bytes.substr(at, 4) != "TZif") return std::nullopt;
    std::array<std::uint64_t, 6> c{};
    for (std::size_t i = 0; i < c.size(); ++i) c[i] = big_endian(bytes, at + 20 + 4 * i, 4);
    return Counts{c[0], c[1], c[2], c[3], c[4], c[5]};
}

}  // namespace

std::expected<TzifTail, std::string> parse_tzif_tail(std::string_view bytes) {
    const auto v1 = read_header(bytes, 0);
    if (!v1) return std::unexpected("not a TZif file");
    TzifTail tail;
    const char version = bytes[4];
    const std::size_t v2_at = kHeaderSize + v1->data_size(4);
    if (version == '\0') {
        // Version 1: 32-bit transitions only, and no footer.
        if (bytes.size() < v2_at) return std::unexpected("TZif file cut short");
        if (v1->timecnt > 0) {
            const auto last = static_cast<std::int32_t>(
                big_endian(bytes, kHeaderSize + 4 * (v1->timecnt - 1), 4));
            tail.last_transition = SysSeconds{std::chrono::seconds{last}};
        }
        return tail;
    }
    const auto v2 = read_header(bytes, v2_at);
    if (!v2) return std::unexpected("TZif file has no version 2 header");
    const std::size_t data_at = v2_at + kHeaderSize;
    const std::size_t footer_at = data_at + v2->data_size(8);
    if (bytes.size() < footer_at + 2 || bytes[footer_at] != '\n')
        return std::unexpected("TZif file cut short");
    if (v2->timecnt > 0) {
        const auto last =
            static_cast<std::int64_t>(big_endian(bytes, data_at + 8 * (v2->timecnt - 1), 8));
        tail.last_transition = SysSeconds{std::chrono::seconds{last}};
    }
    const std::size_t footer_end = bytes.find('\n', footer_at + 1);
    if (footer_end == std::string_view::npos) return std::unexpected("TZif footer not terminated");
    tail.footer = std::string(bytes.substr(footer_at + 1, footer_end - footer_at - 1));
    return tail;
}

std::expected<TzifTail, std::string> read_tzif_tail(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::unexpected("cannot read " + path);
    std::ostringstream content;
    content << in.rdbuf();
    auto tail = parse_tzif_tail(content.str());
    if (!tail) return std::unexpected(path + ": " + tail.error());
    return tail;
}

}  // namespace tasksrun

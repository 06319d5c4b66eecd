#pragma once
// A hash that is the same on every machine, in every process and every version (std::hash
// promises none of that): for what other processes compare, such as a task's config across
// cluster replicas, and for Jenkins' H, which must not move a task between releases.
#include <cstdint>
#include <string_view>

namespace tasksrun {

// FNV-1a, 64 bits.
constexpr std::uint64_t fnv1a(std::string_view text) {
    std::uint64_t hash = 0xcbf29ce484222325;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3;
    }
    return hash;
}

}  // namespace tasksrun

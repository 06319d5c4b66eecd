#include "log/redact.hpp"

#include <algorithm>
#include <cstring>

namespace tasksrun {

std::string redact_url(std::string_view url) {
    const std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return "…";
    const std::size_t host_start = scheme_end + 3;
    std::size_t host_end = url.find_first_of("/?#", host_start);
    if (host_end == std::string_view::npos) host_end = url.size();
    std::string_view authority = url.substr(host_start, host_end - host_start);
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);  // user:password@
    }
    std::string shown = std::string(url.substr(0, host_start)) + std::string(authority);
    const std::string_view path = url.substr(host_end);
    // Discord: /api[/vN]/webhooks/ID/TOKEN; the id names the webhook and is no secret.
    const std::size_t webhooks = path.find("/webhooks/");
    if (webhooks != std::string_view::npos) {
        const std::size_t id_start = webhooks + 10;
        const std::size_t id_end = path.find('/', id_start);
        if (id_end != std::string_view::npos) {
            return shown + std::string(path.substr(0, id_end)) + "/…";
        }
    }
    return path.empty() ? shown : shown + "/…";
}

std::uint64_t Redactor::prefix(const char* text) {
    std::uint64_t value = 0;
    std::memcpy(&value, text, sizeof value);
    return value;
}

std::size_t Redactor::first_two(const char* text) {
    return static_cast<std::size_t>(static_cast<unsigned char>(text[0])) << 8 |
           static_cast<unsigned char>(text[1]);
}

void Redactor::add_secret(std::string secret) {
    if (secret.size() < sizeof(std::uint64_t)) return;  // too short to tell from ordinary text
    first_two_.set(first_two(secret.data()));
    auto& candidates = by_prefix_[prefix(secret.data())];
    if (std::ranges::find(candidates, secret) != candidates.end()) return;
    candidates.push_back(std::move(secret));
    std::ranges::sort(
        candidates, [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::scrub(std::string_view text) const {
    constexpr std::size_t kPrefix = sizeof(std::uint64_t);
    if (by_prefix_.empty() || text.size() < kPrefix) return std::string(text);
    std::string out;
    std::size_t copied = 0;  // text before this is in `out` already
    std::size_t i = 0;
    while (i + kPrefix <= text.size()) {
        const std::string* match = nullptr;
        if (first_two_.test(first_two(text.data() + i))) {
            if (const auto it = by_prefix_.find(prefix(text.data() + i)); it != by_prefix_.end()) {
                for (const std::string& secret : it->second) {
                    if (text.substr(i).starts_with(secret)) {
                        match = &secret;
                        break;
                    }
                }
            }
        }
        if (match == nullptr) {
            ++i;
            continue;
        }
        out.append(text.substr(copied, i - copied));
        out += "[redacted]";
        i += match->size();
        copied = i;
    }
    if (copied == 0) return std::string(text);
    out.append(text.substr(copied));
    return out;
}

}  // namespace tasksrun

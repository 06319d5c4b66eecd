#include "log/redact.hpp"

#include <algorithm>

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

void Redactor::add_secret(std::string secret) {
    if (secret.size() < 8 || std::ranges::find(secrets_, secret) != secrets_.end()) return;
    secrets_.push_back(std::move(secret));
    std::ranges::sort(
        secrets_, [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Redactor::scrub(std::string_view text) const {
    std::string out(text);
    for (const std::string& secret : secrets_) {
        std::size_t pos = 0;
        while ((pos = out.find(secret, pos)) != std::string::npos) {
            out.replace(pos, secret.size(), "[redacted]");
            pos += 10;
        }
    }
    return out;
}

}  // namespace tasksrun

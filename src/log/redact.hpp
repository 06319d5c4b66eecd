#pragma once
// Webhook URLs carry their credentials (Discord's and Slack's tokens are in the path), so they
// never reach a log, an error or a listing whole.
#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tasksrun {

// A URL fit to show: scheme and host, and for Discord the webhook id; the rest is "…".
// "https://discord.com/api/webhooks/123/abc" -> "https://discord.com/api/webhooks/123/…".
std::string redact_url(std::string_view url);

// Remembers the secrets in play (resolved webhook URLs, and their tokens) and removes every
// occurrence of them from a text: a last line of defence for log lines, command output included.
class Redactor {
  public:
    void add_secret(std::string secret);
    std::string scrub(std::string_view text) const;
    bool empty() const { return by_prefix_.empty(); }

  private:
    // Secrets by their first 8 bytes (every secret has at least 8): a text is scanned once,
    // whatever the number of secrets. Each list is longest first, so that a URL is replaced
    // before the token inside it.
    std::unordered_map<std::uint64_t, std::vector<std::string>> by_prefix_;
    // The first two bytes of every secret: most positions of a text are ruled out by one bit
    // test, before any hashing (every log line is scrubbed).
    std::bitset<65536> first_two_;
    static std::uint64_t prefix(const char* text);
    static std::size_t first_two(const char* text);
};

}  // namespace tasksrun

#include "log/redact.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TEST_CASE("redact_url keeps what identifies the endpoint and hides the token", "[log][redact]") {
    CHECK(redact_url("https://discord.com/api/webhooks/123456/s3cr3t-t0ken") ==
          "https://discord.com/api/webhooks/123456/…");
    CHECK(redact_url("https://discord.com/api/v10/webhooks/123456/s3cr3t?wait=true") ==
          "https://discord.com/api/v10/webhooks/123456/…");
    CHECK(redact_url("https://hooks.slack.com/services/T000/B000/XXXX") ==
          "https://hooks.slack.com/…");
    CHECK(redact_url("https://user:pass@example.com/hook?key=abc") == "https://example.com/…");
    CHECK(redact_url("http://127.0.0.1:8080") == "http://127.0.0.1:8080");
    CHECK(redact_url("not a url") == "…");
}

TEST_CASE("Redactor scrubs every occurrence of every secret", "[log][redact]") {
    Redactor redactor;
    redactor.add_secret("https://discord.com/api/webhooks/1/tok3n-abcdef");
    redactor.add_secret("tok3n-abcdef");
    redactor.add_secret("short");  // too short to be a secret worth scrubbing
    CHECK(redactor.scrub(
              "posting to https://discord.com/api/webhooks/1/tok3n-abcdef failed; tok3n-abcdef") ==
          "posting to [redacted] failed; [redacted]");
    CHECK(redactor.scrub("nothing short here") == "nothing short here");
}

}  // namespace
}  // namespace tasksrun

#include "config/action_parser.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TEST_CASE("webhook kinds are detected from the URL", "[config][webhook]") {
    CHECK(detect_webhook_kind("https://discord.com/api/webhooks/1/tok") == WebhookKind::discord);
    CHECK(detect_webhook_kind("https://discordapp.com/api/webhooks/1/tok") == WebhookKind::discord);
    CHECK(detect_webhook_kind("https://canary.discord.com/api/v10/webhooks/1/tok") ==
          WebhookKind::discord);
    CHECK(detect_webhook_kind("https://hooks.slack.com/services/T/B/X") == WebhookKind::slack);
    CHECK(detect_webhook_kind("https://discord.com.evil.example/api/webhooks/1/t") ==
          WebhookKind::generic);
    CHECK(detect_webhook_kind("https://example.com/discord.com/api/") == WebhookKind::generic);
    CHECK(detect_webhook_kind("not a url") == WebhookKind::generic);
}

}  // namespace
}  // namespace tasksrun

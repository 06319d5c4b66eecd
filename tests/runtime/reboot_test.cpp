// @reboot's once-per-boot decision on a real SQLite state database.
#include "runtime/reboot.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "state/state_store.hpp"
#include "support/temp_dir.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

using test::TempDir;

TEST_CASE("reboot: runs at the first start of a boot, not at later ones", "[runtime][reboot]") {
    TempDir temp;
    auto store = StateStore::open(temp.dir(), "/etc/tasks.toml");
    REQUIRE(store.has_value());
    const Instant boot_a = at("2025-06-02T08:00:00Z");

    const RebootDecision first = decide_reboot_start(**store, "boot", "a", boot_a);
    CHECK_FALSE(first.resume_after.has_value());
    CHECK_FALSE(first.error.has_value());

    // The daemon restarts in the same boot: the task has run, the loop resumes after its start.
    const RebootDecision again = decide_reboot_start(**store, "boot", "a", boot_a + 1h);
    CHECK(again.resume_after == boot_a);
    // Another task has its own record.
    CHECK_FALSE(decide_reboot_start(**store, "other", "a", boot_a + 1h).resume_after.has_value());

    // A clock set back since: the resume point is never in the future, or the loop would
    // ignore it and run the task again.
    CHECK(decide_reboot_start(**store, "boot", "a", boot_a - 1h).resume_after == boot_a - 1h);

    // A new boot: it runs again, and that start is what counts from then on.
    const Instant boot_b = boot_a + 24h;
    CHECK_FALSE(decide_reboot_start(**store, "boot", "b", boot_b).resume_after.has_value());
    CHECK(decide_reboot_start(**store, "boot", "b", boot_b + 1min).resume_after == boot_b);
}

TEST_CASE("reboot: the kernel's boot id is read from procfs", "[runtime][reboot]") {
    const auto id = read_boot_id();
    REQUIRE(id.has_value());
    CHECK(id->size() == 36);  // a UUID: 8-4-4-4-12 hex digits
    CHECK(read_boot_id() == id);
    CHECK_FALSE(read_boot_id("/nonexistent/boot_id").has_value());
    TempDir temp;
    const auto empty = (temp.path / "empty").string();
    std::ofstream{empty};
    CHECK_FALSE(read_boot_id(empty).has_value());
}

}  // namespace
}  // namespace tasksrun

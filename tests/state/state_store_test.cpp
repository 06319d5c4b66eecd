// The state database, on real SQLite files in a fresh temporary directory.
#include "state/state_store.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::at;

using test::TempDir;

std::unique_ptr<StateStore> open_store(const TempDir& temp,
                                       const std::string& config = "/etc/a.toml") {
    auto store = StateStore::open(temp.dir(), config);
    REQUIRE(store.has_value());
    return std::move(*store);
}

TEST_CASE("state: the last fired slot survives closing and reopening", "[state]") {
    TempDir temp;
    const Instant slot = at("2025-03-02T09:00:00Z");
    {
        auto store = open_store(temp);
        CHECK(store->last_fired_slots().value().empty());
        REQUIRE(store->iteration_started("daily", 0, slot - 24h, slot - 24h, 1ms, true));
        REQUIRE(store->iteration_started("daily", 1, slot, slot + 2ms, 2ms, true));
        // A run-now run is history, not a slot.
        REQUIRE(store->iteration_started("daily", 2, slot + 1h, slot + 1h, 0ms, false));
    }
    auto store = open_store(temp);
    const auto slots = store->last_fired_slots().value();
    REQUIRE(slots.size() == 1);
    CHECK(slots.at("daily") == slot);
}

TEST_CASE("state: a run is recorded at its start and completed at its end", "[state]") {
    TempDir temp;
    auto store = open_store(temp);
    const Instant t = at("2025-03-02T09:00:00Z");
    REQUIRE(store->iteration_started("backup", 0, t, t + 5ms, 5ms, true));
    auto runs = store->history("backup", 10).value();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].outcome == "running");
    CHECK_FALSE(runs[0].duration.has_value());

    REQUIRE(store->iteration_ended("backup", 0, 2, "failed", "exit:3", "exit status 3", 1500ms));
    runs = store->history(std::nullopt, 10).value();
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].task == "backup");
    CHECK(runs[0].scheduled == t);
    CHECK(runs[0].started == t + 5ms);
    CHECK(runs[0].lateness == Duration{5ms});
    CHECK(runs[0].duration == Duration{1500ms});
    CHECK(runs[0].attempts == 2);
    CHECK(runs[0].outcome == "failed");
    CHECK(runs[0].failure_class == "exit:3");
    CHECK(runs[0].message == "exit status 3");
}

TEST_CASE("state: runs left running by a dead daemon read interrupted", "[state]") {
    TempDir temp;
    const Instant t = at("2025-03-02T09:00:00Z");
    { REQUIRE(open_store(temp)->iteration_started("backup", 0, t, t, 0ms, true)); }
    auto store = open_store(temp);
    CHECK(store->history("backup", 1).value().at(0).outcome == "interrupted");
}

TEST_CASE("state: history is newest first, per task, and bounded", "[state]") {
    TempDir temp;
    auto store = open_store(temp);
    const Instant t = at("2025-03-02T09:00:00Z");
    for (std::uint64_t i = 0; i < kHistoryPerTask + 5; ++i) {
        REQUIRE(store->iteration_started("often", i, t + i * 1s, t + i * 1s, 0ms, true));
    }
    REQUIRE(store->iteration_started("rare", 0, t, t, 0ms, true));
    const auto often = store->history("often", 100000).value();
    CHECK(often.size() == kHistoryPerTask);
    CHECK(often.front().loop == kHistoryPerTask + 4);
    CHECK(often.back().loop == 5);
    CHECK(store->history("rare", 10).value().size() == 1);
    CHECK(store->history(std::nullopt, 3).value().size() == 3);
    CHECK(store->history(std::nullopt, 3).value().front().task == "rare");
}

TEST_CASE("state: one directory is locked by one daemon and belongs to one config", "[state]") {
    TempDir temp;
    {
        auto first = open_store(temp, "/etc/a.toml");
        auto second = StateStore::open(temp.dir(), "/etc/a.toml");
        REQUIRE_FALSE(second.has_value());
        CHECK_THAT(second.error(), Catch::Contains("in use by another tasksrun"));
    }
    auto other = StateStore::open(temp.dir(), "/etc/b.toml");
    REQUIRE_FALSE(other.has_value());
    CHECK_THAT(other.error(), Catch::Contains("belongs to /etc/a.toml"));
}

TEST_CASE("state: a reader needs no lock and a database to exist", "[state]") {
    TempDir temp;
    auto missing = StateStore::open_read_only(temp.dir());
    REQUIRE_FALSE(missing.has_value());
    CHECK_THAT(missing.error(), Catch::Contains("no state database"));
    auto writer = open_store(temp);
    const Instant t = at("2025-03-02T09:00:00Z");
    REQUIRE(writer->iteration_started("x", 0, t, t, 0ms, true));
    auto reader = StateStore::open_read_only(temp.dir());
    REQUIRE(reader.has_value());
    CHECK((*reader)->history("x", 5).value().size() == 1);
}

TEST_CASE("state: a file that is not a database is an error, not an empty answer", "[state]") {
    TempDir temp;
    std::filesystem::create_directory(temp.dir());
    {
        std::ofstream garbage(temp.dir() + "/state.db", std::ios::binary);
        garbage << std::string(8192, '\x5a');
        REQUIRE(garbage.good());
    }
    auto writer = StateStore::open(temp.dir(), "/etc/a.toml");
    REQUIRE_FALSE(writer.has_value());
    CHECK_THAT(writer.error(), Catch::Contains("not a database"));
    auto reader = StateStore::open_read_only(temp.dir());
    REQUIRE(reader.has_value());  // opening is lazy; the first read finds out
    const auto runs = (*reader)->history(std::nullopt, 5);
    REQUIRE_FALSE(runs.has_value());
    CHECK_THAT(runs.error(), Catch::Contains("not a database"));
    const auto slots = (*reader)->last_fired_slots();
    REQUIRE_FALSE(slots.has_value());
}

TEST_CASE("state: the runs since an instant, by task, for the status page", "[state]") {
    TempDir temp;
    auto store = open_store(temp);
    const Instant t = at("2025-03-02T09:00:00Z");
    REQUIRE(store->iteration_started("a", 0, t - 25h, t - 25h, 0ms, true));
    REQUIRE(store->iteration_ended("a", 0, 1, "ok", "", "", 1s));
    REQUIRE(store->iteration_started("a", 1, t - 1h, t - 1h + 3ms, 3ms, true));
    REQUIRE(store->iteration_ended("a", 1, 2, "failed", "exit:3", "exit status 3", 2s));
    REQUIRE(store->iteration_started("b", 0, t, t, 0ms, true));
    REQUIRE(store->iteration_started("a", 2, t + 1min, t + 1min, 0ms, true));
    struct Collect final : RunSink {
        std::vector<RunRecord> runs;
        void add(const RunRecord& run) override { runs.push_back(run); }
    } collect;
    REQUIRE(store->runs_since(t - 24h, collect));
    const std::vector<RunRecord>& runs = collect.runs;
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].task == "a");
    CHECK(runs[0].loop == 1);
    CHECK(runs[0].lateness == 3ms);
    CHECK(runs[0].attempts == 2);
    CHECK(runs[0].outcome == "failed");
    CHECK(runs[0].failure_class == "exit:3");
    CHECK(runs[0].duration == 2s);
    CHECK(runs[1].task == "a");  // grouped by task, oldest first within it
    CHECK(runs[1].loop == 2);
    CHECK(runs[2].task == "b");
    CHECK(runs[2].outcome == "running");
}

TEST_CASE("state: when each task last succeeded", "[state]") {
    TempDir temp;
    auto store = open_store(temp);
    const Instant t = at("2025-03-02T09:00:00Z");
    REQUIRE(store->iteration_started("a", 0, t, t, 0ms, true));
    REQUIRE(store->iteration_ended("a", 0, 1, "ok", "", "", 5s));
    REQUIRE(store->iteration_started("a", 1, t + 1h, t + 1h, 0ms, true));
    REQUIRE(store->iteration_ended("a", 1, 1, "failed", "timeout", "", 30s));
    REQUIRE(store->iteration_started("b", 0, t, t, 0ms, true));
    REQUIRE(store->iteration_ended("b", 0, 1, "cancelled", "", "", 1s));
    REQUIRE(store->iteration_started("c", 0, t, t, 0ms, true));  // still running
    const auto successes = store->last_successes().value();
    CHECK(successes == std::map<std::string, Instant>{{"a", t + 5s}});
}

TEST_CASE("state: a @reboot start and its boot id survive reopening", "[state]") {
    TempDir temp;
    const Instant started = at("2025-03-02T09:00:00Z");
    {
        auto store = open_store(temp);
        const auto none = store->last_reboot_start("boot");
        REQUIRE(none.has_value());
        CHECK_FALSE(none->has_value());
        REQUIRE(store->record_reboot_start("boot", "8a1e-first", started - 24h));
        REQUIRE(store->record_reboot_start("boot", "77c2-second", started));
    }
    auto store = open_store(temp);
    const auto last = store->last_reboot_start("boot");
    REQUIRE(last.has_value());
    REQUIRE(last->has_value());
    CHECK((*last)->boot_id == "77c2-second");
    CHECK((*last)->started == started);
    const auto other = store->last_reboot_start("other");
    REQUIRE(other.has_value());
    CHECK_FALSE(other->has_value());
}

}  // namespace
}  // namespace tasksrun

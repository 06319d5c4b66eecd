// Claim round trips against a PostgreSQL server: how many claim statements one connection
// completes per second for batches of 1, 100 and 1,000 slots, alone and with three
// connections claiming the same slots at once (every replica of a cluster claims every slot),
// and the same statement prepared (ClusterStore never prepares it: PostgreSQL may then switch
// to a generic plan made without the arrays' sizes). The peer, on the same connection, is the
// cheapest round trip there is: SELECT 1.
//
// Usage: cluster_store_bench CONNINFO [--seconds S] [--runs R] [--show-sql]
// Each configuration runs R times for S seconds; the figure is the median run. Each batch size
// claims in tables of its own (a fresh schema in a database per size is the caller's choice:
// bench/cluster_store_bench.py gives each its own database).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cluster/cluster_store.hpp"
#include "cluster/pg_params.hpp"
#include "cluster/schema.hpp"
#include "event/clock.hpp"

namespace {

using namespace std::chrono_literals;
using namespace tasksrun;
using Clock = std::chrono::steady_clock;

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "cluster_store_bench: %s\n", message.c_str());
    std::exit(1);
}

void turn_until(EventLoop& loop, const std::function<bool()>& done) {
    while (!done()) sd_event_run(loop.raw(), 100'000);
}

std::unique_ptr<PgConnection> connect(EventLoop& loop, const std::string& conninfo) {
    auto connection = PgConnection::create(loop, conninfo, {}, {});
    if (!connection) fail(connection.error());
    (*connection)->start();
    const auto deadline = Clock::now() + 10s;
    turn_until(loop, [&] {
        if (Clock::now() > deadline) fail("no connection: " + (*connection)->status().last_error);
        return (*connection)->status().state == PgConnection::State::connected;
    });
    return std::move(*connection);
}

// Keeps one statement in flight per client for `duration`; returns statements per second per
// client (the mean over clients).
double round_trips_per_second(EventLoop& loop, std::size_t clients, Duration duration,
                              const std::function<void(std::size_t, std::function<void()>)>& send) {
    std::vector<std::uint64_t> done(clients, 0);
    bool stopping = false;
    std::size_t in_flight = 0;
    std::function<void(std::size_t)> next = [&](std::size_t client) {
        ++in_flight;
        send(client, [&, client] {
            --in_flight;
            ++done[client];
            if (!stopping) next(client);
        });
    };
    const auto start = Clock::now();
    for (std::size_t c = 0; c < clients; ++c) next(c);
    turn_until(loop, [&] {
        if (Clock::now() - start >= duration) stopping = true;
        return stopping && in_flight == 0;
    });
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::uint64_t total = 0;
    for (const std::uint64_t d : done) total += d;
    return static_cast<double>(total) / seconds / static_cast<double>(clients);
}

double median(std::vector<double> runs) {
    std::ranges::sort(runs);
    return runs[runs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2)
        fail("usage: cluster_store_bench CONNINFO... [--seconds S] [--runs R] [--show-sql]");
    std::vector<std::string> databases;
    double seconds = 1.5;
    int runs = 7;
    bool show_sql = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            seconds = std::atof(argv[++i]);
        } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--show-sql") == 0) {
            show_sql = true;
        } else {
            databases.emplace_back(argv[i]);
        }
    }
    const Duration duration =
        std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
    if (show_sql) std::printf("claim statement:\n%s\n\n", ClusterStore::claim_statement().c_str());

    EventLoop loop;
    const std::vector<std::size_t> batches{1, 100, 1000};
    if (databases.size() < batches.size()) fail("give one database per batch size (3)");

    constexpr std::size_t kReplicas = 3;
    for (std::size_t b = 0; b < batches.size(); ++b) {
        const std::size_t batch = batches[b];
        std::vector<std::unique_ptr<PgConnection>> connections;
        std::vector<std::unique_ptr<ClusterStore>> stores;
        for (std::size_t r = 0; r < kReplicas; ++r) {
            connections.push_back(connect(loop, databases[b]));
            stores.push_back(std::make_unique<ClusterStore>(
                *connections.back(), ClusterOptions{.replica = "replica-" + std::to_string(r)}));
        }
        bool migrated = false;
        migrate_schema(*connections[0], cluster_migrations(), [&](auto result) {
            if (!result) fail(result.error().message);
            migrated = true;
        });
        turn_until(loop, [&] { return migrated; });
        bool empty = false;
        connections[0]->query("SELECT count(*) = 0 FROM tasksrun_claims", {}, [&](auto result) {
            if (!result || result->boolean(0, 0) != true)
                fail("give empty databases: the check counts the slots each claim wins");
            empty = true;
        });
        turn_until(loop, [&] { return empty; });

        // Slots a second apart from a fixed start; each client walks the same sequence, so
        // with several clients every batch is contended.
        const Instant origin = std::chrono::floor<std::chrono::seconds>(wall_clock_now());
        std::vector<std::int64_t> next_batch(kReplicas, 0);
        std::int64_t run_offset = 0;
        std::uint64_t won = 0;
        std::uint64_t claimed = 0;
        const auto next_requests = [&](std::size_t client) {
            std::vector<ClaimRequest> requests;
            const std::int64_t first =
                run_offset + next_batch[client]++ * static_cast<std::int64_t>(batch);
            for (std::size_t i = 0; i < batch; ++i) {
                requests.push_back(
                    {.task = "bench",
                     .slot = origin + std::chrono::seconds{first + static_cast<std::int64_t>(i)},
                     .config_hash = "h"});
            }
            return requests;
        };
        const auto claim = [&](std::size_t client, std::function<void()> answered) {
            stores[client]->claim(next_requests(client), [&, answered](auto outcomes) {
                if (!outcomes) fail(outcomes.error().message);
                for (const ClaimOutcome& outcome : *outcomes) {
                    ++claimed;
                    if (outcome.verdict == ClaimVerdict::won) ++won;
                }
                answered();
            });
        };
        // The same statement and parameters as ClusterStore::claim, prepared: after five
        // executions PostgreSQL may switch to a generic plan, made without the arrays' sizes.
        const auto claim_prepared = [&](std::size_t, std::function<void()> answered) {
            std::vector<std::string> tasks;
            std::vector<std::int64_t> slots;
            for (const ClaimRequest& request : next_requests(0)) {
                tasks.push_back(request.task);
                slots.push_back(request.slot.time_since_epoch().count());
            }
            const std::vector<std::string> hashes(tasks.size(), "h");
            connections[0]->query_prepared(
                "bench_claim", ClusterStore::claim_statement(),
                {"replica-0", text_array(tasks), int64_array(slots), text_array(hashes),
                 micros_text(Duration{10s}), micros_text(Duration{60s})},
                [answered](auto result) {
                    if (!result) fail(result.error().message);
                    answered();
                });
        };
        const auto fresh_slots = [&] {
            run_offset += 100'000'000;  // far from every slot claimed so far
            std::ranges::fill(next_batch, 0);
        };

        std::vector<double> alone;
        std::vector<double> contended;
        std::vector<double> prepared;
        std::vector<double> peer;
        const std::vector<std::function<void()>> phases{
            [&] {
                fresh_slots();
                alone.push_back(round_trips_per_second(loop, 1, duration, claim));
            },
            [&] {
                fresh_slots();
                prepared.push_back(round_trips_per_second(loop, 1, duration, claim_prepared));
            },
            [&] {
                fresh_slots();
                won = claimed = 0;
                contended.push_back(round_trips_per_second(loop, kReplicas, duration, claim));
                // Every slot any client claimed went to exactly one of them.
                const auto distinct =
                    static_cast<std::uint64_t>(std::ranges::max(next_batch)) * batch;
                if (won != distinct)
                    fail("contended claims: " + std::to_string(won) + " won of " +
                         std::to_string(distinct) + " slots (" + std::to_string(claimed) +
                         " claims)");
            },
            [&] {
                peer.push_back(round_trips_per_second(
                    loop, 1, duration, [&](std::size_t, std::function<void()> answered) {
                        connections[0]->query("SELECT 1", {}, [answered](auto result) {
                            if (!result) fail(result.error().message);
                            answered();
                        });
                    }));
            }};
        // Each run starts with another phase: the first phase of a run measured slower than
        // the others whichever it was, and rotating keeps that out of the medians' comparison.
        for (int run = 0; run < runs; ++run) {
            for (std::size_t p = 0; p < phases.size(); ++p)
                phases[(p + static_cast<std::size_t>(run)) % phases.size()]();
        }
        // PostgreSQL decides per prepared statement whether to keep planning it for each
        // execution (custom) or to reuse one generic plan: what it chose explains the figures.
        std::string plans;
        bool plans_read = false;
        connections[0]->query(
            "SELECT string_agg(name || ' ' || generic_plans || ' generic / ' || custom_plans || "
            "' custom', ', ' ORDER BY name) FROM pg_prepared_statements",
            {}, [&](auto result) {
                if (!result) fail(result.error().message);
                plans = result->optional_text(0, 0).value_or("none");
                plans_read = true;
            });
        turn_until(loop, [&] { return plans_read; });
        const double alone_rate = median(alone);
        const double prepared_rate = median(prepared);
        const double peer_rate = median(peer);
        std::printf("batch %zu\n", batch);
        std::printf(
            "  claim, 1 connection:            %8.0f claims/s  %9.0f slots/s  %7.2f ms each\n",
            alone_rate, alone_rate * static_cast<double>(batch), 1000.0 / alone_rate);
        std::printf("  claim, 3 connections contending: %7.0f claims/s per connection\n",
                    median(contended));
        std::printf(
            "  claim as a prepared statement:  %8.0f claims/s  (%.2fx ClusterStore::claim)\n",
            prepared_rate, prepared_rate / alone_rate);
        std::printf(
            "  peer: SELECT 1 on 1 connection: %8.0f/s        (a claim takes %.0fx its time)\n",
            peer_rate, peer_rate / alone_rate);
        std::printf("  plans on connection 1: %s\n", plans.c_str());
        std::fflush(stdout);
    }
    return 0;
}

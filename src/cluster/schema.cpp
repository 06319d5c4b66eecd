#include "cluster/schema.hpp"

#include <array>
#include <string>

namespace tasksrun {

namespace {

// Version 1: claims (one row per task and slot: the unique key that decides every claim),
// the prune watermark, replicas and their config hashes, cluster-wide control.
constexpr std::string_view kClaimsSchema = R"sql(
CREATE SEQUENCE tasksrun_fence;
CREATE SEQUENCE tasksrun_control_revision;
CREATE TABLE tasksrun_claims (
    task             text        NOT NULL,
    slot             timestamptz NOT NULL,
    replica          text        NOT NULL,
    fence            bigint      NOT NULL,
    config_hash      text        NOT NULL,
    state            text        NOT NULL DEFAULT 'claimed'
                     CHECK (state IN ('claimed', 'running', 'ok', 'failed', 'cancelled',
                                      'stopped', 'skipped', 'abandoned')),
    claimed_at       timestamptz NOT NULL,
    lease_until      timestamptz NOT NULL,
    loop_index       bigint,
    started_at       timestamptz,
    finished_at      timestamptz,
    attempts         integer     NOT NULL DEFAULT 0,
    duration_us      bigint,
    failure_class    text        NOT NULL DEFAULT '',
    message          text        NOT NULL DEFAULT '',
    previous_replica text,
    takeovers        integer     NOT NULL DEFAULT 0,
    PRIMARY KEY (task, slot),
    CHECK ((finished_at IS NULL) = (state IN ('claimed', 'running')))
);
CREATE INDEX tasksrun_claims_unfinished ON tasksrun_claims (lease_until)
    WHERE finished_at IS NULL;
CREATE INDEX tasksrun_claims_by_slot ON tasksrun_claims (slot);
CREATE TABLE tasksrun_pruned (
    task    text        PRIMARY KEY,
    through timestamptz NOT NULL
);
CREATE TABLE tasksrun_replicas (
    replica    text        PRIMARY KEY,
    first_seen timestamptz NOT NULL,
    seen_at    timestamptz NOT NULL
);
CREATE TABLE tasksrun_task_configs (
    task         text        NOT NULL,
    replica      text        NOT NULL,
    config_hash  text        NOT NULL,
    published_at timestamptz NOT NULL,
    PRIMARY KEY (task, replica)
);
CREATE TABLE tasksrun_task_control (
    task       text        PRIMARY KEY,
    stopped    boolean     NOT NULL DEFAULT false,
    schedule   text,
    revision   bigint      NOT NULL,
    changed_at timestamptz NOT NULL,
    changed_by text        NOT NULL
);
CREATE TABLE tasksrun_reloads (
    revision     bigint      PRIMARY KEY,
    requested_at timestamptz NOT NULL,
    requested_by text        NOT NULL
);
)sql";

constexpr std::array kMigrations{
    Migration{1, "claims, replicas, config hashes and control", kClaimsSchema},
};

constexpr std::string_view kVersionTable = R"sql(
CREATE TABLE IF NOT EXISTS tasksrun_schema_version (
    version     integer     PRIMARY KEY,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
)sql";

constexpr std::string_view kCurrentVersion =
    "SELECT coalesce(max(version), 0) FROM tasksrun_schema_version;\n";

// One round trip, one implicit transaction: the lock is held until every migration is in.
std::string migration_script(std::span<const Migration> migrations) {
    std::string script = "SELECT pg_advisory_xact_lock(" + std::to_string(kSchemaLockKey) + ");\n";
    script += kVersionTable;
    script += kCurrentVersion;
    for (const Migration& migration : migrations) {
        const std::string version = std::to_string(migration.version);
        script +=
            "DO $tasksrun_migration$ BEGIN\nIF (SELECT coalesce(max(version), 0) FROM "
            "tasksrun_schema_version) < " +
            version + " THEN\n";
        script += migration.sql;
        script += "\nINSERT INTO tasksrun_schema_version (version, description) VALUES (" +
                  version + ", '" + std::string(migration.description) + "');\n";
        script += "END IF;\nEND $tasksrun_migration$;\n";
    }
    script += kCurrentVersion;
    return script;
}

}  // namespace

std::span<const Migration> cluster_migrations() {
    return kMigrations;
}

void migrate_schema(PgConnection& connection, std::span<const Migration> migrations,
                    std::function<void(std::expected<SchemaVersions, PgError>)> done) {
    const int known = migrations.empty() ? 0 : migrations.back().version;
    connection.script(
        migration_script(migrations),
        [known, done = std::move(done)](std::expected<std::vector<PgResult>, PgError> results) {
            if (!results) {
                done(std::unexpected(std::move(results.error())));
                return;
            }
            // Results: the lock, the version table, the version before, each migration, the
            // version after.
            const auto version_in = [&](const PgResult& result) {
                return result.rows() == 1 ? result.int64(0, 0) : std::nullopt;
            };
            const auto before = results->size() >= 3 ? version_in((*results)[2]) : std::nullopt;
            const auto after = version_in(results->back());
            if (!before || !after) {
                done(std::unexpected(PgError{.message = "unexpected answer to the migration"}));
                return;
            }
            if (*after > known) {
                done(std::unexpected(PgError{
                    .message = "the cluster database's schema is version " +
                               std::to_string(*after) + ", newer than this tasksrun knows (" +
                               std::to_string(known) + "): upgrade tasksrun on this replica"}));
                return;
            }
            done(SchemaVersions{.before = static_cast<int>(*before),
                                .after = static_cast<int>(*after)});
        });
}

}  // namespace tasksrun

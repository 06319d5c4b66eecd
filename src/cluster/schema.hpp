#pragma once
// The cluster's tables, created and upgraded by tasksrun itself. Each migration has a version;
// tasksrun_schema_version lists those applied. migrate_schema applies the missing ones in
// order, all in one transaction under an advisory lock, so that replicas starting at the same
// moment on an empty database wait for each other instead of racing (CREATE TABLE IF NOT
// EXISTS alone is not safe against a concurrent twin), and a failed migration leaves the
// schema as it was.
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string_view>

#include "cluster/pg_connection.hpp"

namespace tasksrun {

struct Migration {
    int version;                   // 1, 2, 3 ... without gaps
    std::string_view description;  // one line, stored beside the version; no quotes
    std::string_view sql;          // statements for a plpgsql block: no dollar quoting
};

// tasksrun's migrations, in order. The last one's version is what this build needs.
std::span<const Migration> cluster_migrations();

struct SchemaVersions {
    int before = 0;  // the database's version when the call started (0: no schema)
    int after = 0;   // its version now
};

// The advisory lock key that serialises migrations ("tasksrun" in ASCII).
inline constexpr std::int64_t kSchemaLockKey = 0x7461736b7372756e;

// Brings the database to the last of `migrations`. Fails as a value when a statement fails
// (nothing is applied then), when the connection fails, or when the database's schema is newer
// than the last migration known here (an older tasksrun must not write to it).
void migrate_schema(PgConnection& connection, std::span<const Migration> migrations,
                    std::function<void(std::expected<SchemaVersions, PgError>)> done);

}  // namespace tasksrun

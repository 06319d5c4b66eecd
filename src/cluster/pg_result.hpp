#pragma once
// What a PostgreSQL query gives back: an owned result set, or an error as a value.
#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

struct PgError {
    // libpq's or the server's message, one line, never holding the connection's password.
    std::string message{};
    // The server's SQLSTATE ("23505", "40P01"); empty when the error did not come from the
    // server (a lost connection, a refused connection attempt, a timeout).
    std::string sqlstate{};
    // The connection failed or was lost: the statement may or may not have been committed.
    bool connection = false;
};

// One statement's result in text format. Cells are read by row and column index; every
// accessor's precondition is an index inside rows() x columns().
class PgResult {
  public:
    // Takes ownership of `result` (not null).
    explicit PgResult(PGresult* result);

    int rows() const;
    int columns() const;
    bool is_null(int row, int column) const;
    // The cell as text; empty for NULL.
    std::string_view text(int row, int column) const;
    // The cell as a 64-bit integer; nullopt for NULL or for text that is not an integer.
    std::optional<std::int64_t> int64(int row, int column) const;
    // "t" / "f" as PostgreSQL writes booleans; nullopt for NULL or anything else.
    std::optional<bool> boolean(int row, int column) const;
    // The cell, or nullopt for NULL.
    std::optional<std::string> optional_text(int row, int column) const;

  private:
    struct Clear {
        void operator()(PGresult* result) const { PQclear(result); }
    };
    std::unique_ptr<PGresult, Clear> result_;
};

// Reads one row's cells by type, remembering whether any was missing or malformed: a result
// whose shape is not the expected one is reported as an error, never read as zeros.
class PgRow {
  public:
    PgRow(const PgResult& result, int row) : result_(result), row_(row) {}

    std::int64_t int64(int column);
    std::optional<std::int64_t> optional_int64(int column);
    bool boolean(int column);
    std::string text(int column);
    std::optional<std::string> optional_text(int column);
    // A bigint of microseconds since the Unix epoch (see pg_params.hpp).
    Instant instant(int column);
    std::optional<Instant> optional_instant(int column);

    // Whether every cell read so far had the expected type (and was not NULL where required).
    bool ok() const { return ok_; }

  private:
    const PgResult& result_;
    const int row_;
    bool ok_ = true;
};

}  // namespace tasksrun

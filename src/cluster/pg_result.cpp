#include "cluster/pg_result.hpp"

#include <charconv>

namespace tasksrun {

PgResult::PgResult(PGresult* result) : result_(result) {}

int PgResult::rows() const {
    return PQntuples(result_.get());
}

int PgResult::columns() const {
    return PQnfields(result_.get());
}

bool PgResult::is_null(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view PgResult::text(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::optional<std::int64_t> PgResult::int64(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    const std::string_view cell = text(row, column);
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (error != std::errc{} || end != cell.data() + cell.size()) return std::nullopt;
    return value;
}

std::optional<bool> PgResult::boolean(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    const std::string_view cell = text(row, column);
    if (cell == "t") return true;
    if (cell == "f") return false;
    return std::nullopt;
}

std::optional<std::string> PgResult::optional_text(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return std::string(text(row, column));
}

std::int64_t PgRow::int64(int column) {
    const auto value = result_.int64(row_, column);
    if (!value) ok_ = false;
    return value.value_or(0);
}

std::optional<std::int64_t> PgRow::optional_int64(int column) {
    if (result_.is_null(row_, column)) return std::nullopt;
    return int64(column);
}

bool PgRow::boolean(int column) {
    const auto value = result_.boolean(row_, column);
    if (!value) ok_ = false;
    return value.value_or(false);
}

std::string PgRow::text(int column) {
    if (result_.is_null(row_, column)) ok_ = false;
    return std::string(result_.text(row_, column));
}

std::optional<std::string> PgRow::optional_text(int column) {
    return result_.optional_text(row_, column);
}

Instant PgRow::instant(int column) {
    return Instant{Duration{int64(column)}};
}

std::optional<Instant> PgRow::optional_instant(int column) {
    const auto micros = optional_int64(column);
    if (!micros) return std::nullopt;
    return Instant{Duration{*micros}};
}

}  // namespace tasksrun

#pragma once
// Values sent to and read from PostgreSQL as text: instants as microseconds since the Unix
// epoch (exactly what timestamptz holds), and arrays in PostgreSQL's literal syntax so that a
// batch of any size is one statement with a fixed number of parameters (unnest($1::text[]...)).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/instant.hpp"

namespace tasksrun {

// SQL that turns a bigint of microseconds into a timestamptz, and back; exact, unlike
// to_timestamp(double).
std::string sql_instant(std::string_view micros_expression);
std::string sql_micros(std::string_view timestamptz_expression);

std::string micros_text(Instant instant);
std::string micros_text(Duration duration);

// {"a","b \"c\""}: every element quoted, so empty strings, commas and NULL-like words stay text.
std::string text_array(std::span<const std::string> items);
std::string int64_array(std::span<const std::int64_t> items);
std::string bool_array(const std::vector<bool>& items);

}  // namespace tasksrun

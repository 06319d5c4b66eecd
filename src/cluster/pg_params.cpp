#include "cluster/pg_params.hpp"

namespace tasksrun {

std::string sql_instant(std::string_view micros_expression) {
    return "('epoch'::timestamptz + (" + std::string(micros_expression) +
           ") * interval '1 microsecond')";
}

std::string sql_micros(std::string_view timestamptz_expression) {
    // extract() gives an exact numeric since PostgreSQL 14.
    return "(extract(epoch FROM " + std::string(timestamptz_expression) + ") * 1000000)::bigint";
}

std::string micros_text(Instant instant) {
    return std::to_string(instant.time_since_epoch().count());
}

std::string micros_text(Duration duration) {
    return std::to_string(duration.count());
}

std::string text_array(std::span<const std::string> items) {
    std::string out = "{";
    for (const std::string& item : items) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : item) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

std::string int64_array(std::span<const std::int64_t> items) {
    std::string out = "{";
    for (const std::int64_t item : items) {
        if (out.size() > 1) out += ',';
        out += std::to_string(item);
    }
    return out + "}";
}

std::string bool_array(const std::vector<bool>& items) {
    std::string out = "{";
    for (const bool item : items) {
        if (out.size() > 1) out += ',';
        out += item ? 't' : 'f';
    }
    return out + "}";
}

}  // namespace tasksrun

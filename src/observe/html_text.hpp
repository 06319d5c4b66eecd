#pragma once
// Text placed in HTML (and inline SVG) by the status page.
#include <string>
#include <string_view>

#include "util/instant.hpp"

namespace tasksrun {

// `text` with & < > " ' written as character references: safe in element content and in
// double- or single-quoted attribute values.
void append_html_escaped(std::string& out, std::string_view text);

// "09:05" (UTC) for a timeline's tooltips.
std::string utc_hours_minutes(Instant at);

// A duration for people, at most two units and rounded: "250ms", "4.2s", "3m12s", "2h5m", "3d4h".
std::string approximate_duration(Duration d);

}  // namespace tasksrun

// The text exposition format 0.0.4: escaping, numbers, families and histograms.
#include "observe/prometheus_text.hpp"

#include <catch2/catch.hpp>
#include <cmath>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

TEST_CASE("prometheus text: label values escape backslash, quote and line feed", "[observe]") {
    CHECK(escape_label_value("plain-name_1.2") == "plain-name_1.2");
    CHECK(escape_label_value("a\\b") == "a\\\\b");
    CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
    CHECK(escape_label_value("two\nlines") == "two\\nlines");
    CHECK(escape_label_value("tab\tand ü") == "tab\tand ü");  // everything else as it is
}

TEST_CASE("prometheus text: numbers read back exactly", "[observe]") {
    CHECK(format_sample_value(0) == "0");
    CHECK(format_sample_value(42) == "42");
    CHECK(format_sample_value(-3) == "-3");
    CHECK(format_sample_value(0.25) == "0.25");
    CHECK(format_sample_value(1741505400.123456) == "1741505400.123456");
    CHECK(std::stod(format_sample_value(0.1 + 0.2)) == 0.1 + 0.2);
    CHECK(format_sample_value(1e300) == "1e+300");
    CHECK(format_sample_value(HUGE_VAL) == "+Inf");
    CHECK(format_sample_value(-HUGE_VAL) == "-Inf");
    CHECK(format_sample_value(std::nan("")) == "NaN");
}

TEST_CASE("prometheus text: a family is its HELP and TYPE lines, then its samples", "[observe]") {
    PrometheusText out;
    out.family("x_total", "counter", "Things\\stuff,\ncounted.");
    out.sample("x_total", {{"task", "a"}, {"class", "exit:3"}},
               std::uint64_t{18446744073709551615U});
    out.sample("x_total", {}, 1.5);
    CHECK(out.text() ==
          "# HELP x_total Things\\\\stuff,\\ncounted.\n"
          "# TYPE x_total counter\n"
          "x_total{task=\"a\",class=\"exit:3\"} 18446744073709551615\n"
          "x_total 1.5\n");
}

TEST_CASE("prometheus text: histogram buckets are cumulative, with +Inf, sum and count",
          "[observe]") {
    Histogram histogram(kLatenessBounds);
    histogram.observe(0us);  // le 0.001
    histogram.observe(3ms);  // le 0.005
    histogram.observe(3ms);
    histogram.observe(2h);  // +Inf only
    PrometheusText out;
    out.histogram("late_seconds", {{"task", "t\"q"}}, histogram);
    out.histogram("late_seconds", {{"task", "u"}}, histogram);  // the `le` labels again
    CHECK(out.text() ==
          "late_seconds_bucket{task=\"t\\\"q\",le=\"0.001\"} 1\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"0.005\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"0.025\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"0.1\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"0.5\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"1\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"5\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"30\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"300\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"3600\"} 3\n"
          "late_seconds_bucket{task=\"t\\\"q\",le=\"+Inf\"} 4\n"
          "late_seconds_sum{task=\"t\\\"q\"} 7200.006\n"
          "late_seconds_count{task=\"t\\\"q\"} 4\n"
          "late_seconds_bucket{task=\"u\",le=\"0.001\"} 1\n"
          "late_seconds_bucket{task=\"u\",le=\"0.005\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"0.025\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"0.1\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"0.5\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"1\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"5\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"30\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"300\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"3600\"} 3\n"
          "late_seconds_bucket{task=\"u\",le=\"+Inf\"} 4\n"
          "late_seconds_sum{task=\"u\"} 7200.006\n"
          "late_seconds_count{task=\"u\"} 4\n");
}

}  // namespace
}  // namespace tasksrun

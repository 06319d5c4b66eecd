#pragma once
// The Prometheus text exposition format, version 0.0.4: families with # HELP and # TYPE, samples
// with escaped label values, histograms as cumulative _bucket{le} samples plus _sum and _count.
// https://prometheus.io/docs/instrumenting/exposition_formats/
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "observe/histogram.hpp"

namespace tasksrun {

inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

struct Label {
    std::string_view name;   // [a-zA-Z_][a-zA-Z0-9_]*: written as it is
    std::string_view value;  // any UTF-8: escaped
};

// A label value as the format quotes it: backslash, double quote and line feed escaped.
std::string escape_label_value(std::string_view value);
// A sample value: integers exactly, other numbers in the shortest form that reads back to the
// same double, and +Inf, -Inf, NaN.
std::string format_sample_value(double value);

class PrometheusText {
  public:
    // Starts a family: its # HELP (escaped) and # TYPE lines. `type` is "counter", "gauge" or
    // "histogram"; a counter's name ends in _total.
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<Label> labels, double value);
    void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
    // name_bucket{labels,le="..."} for each bound and +Inf (cumulative), name_sum, name_count.
    void histogram(std::string_view name, std::initializer_list<Label> labels,
                   const Histogram& histogram);

    // Room for `bytes` of text, so that a large exposition is not copied as it grows.
    void reserve(std::size_t bytes) { out_.reserve(bytes); }
    const std::string& text() const { return out_; }
    std::string take() { return std::move(out_); }

  private:
    void start_sample(std::string_view name, std::string_view suffix,
                      std::initializer_list<Label> labels, const Label* extra = nullptr);
    const std::vector<std::string>& bound_labels(const HistogramBounds& bounds);

    std::string out_;
    const HistogramBounds* bounds_ = nullptr;  // whose `le` labels bound_labels_ holds
    std::vector<std::string> bound_labels_;
};

}  // namespace tasksrun

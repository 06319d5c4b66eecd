#include "observe/prometheus_text.hpp"

#include <charconv>
#include <cmath>

namespace tasksrun {
namespace {

// Doubles up to 2^53 hold every integer exactly; past that, a count shown in exponent form is
// still read back right.
constexpr double kExactIntegers = 9007199254740992.0;

void append_escaped(std::string& out, std::string_view text, bool escape_quotes) {
    // Names and classes hardly ever need escaping: runs of plain text are copied whole.
    std::size_t plain = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '\\' && c != '\n' && (c != '"' || !escape_quotes)) continue;
        out.append(text.substr(plain, i - plain));
        out += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
        plain = i + 1;
    }
    out.append(text.substr(plain));
}

void append_number(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        char buffer[32];
        const bool integral = std::trunc(value) == value && std::fabs(value) < kExactIntegers;
        const auto end = integral ? std::to_chars(buffer, buffer + sizeof buffer,
                                                  static_cast<std::int64_t>(value))
                                  : std::to_chars(buffer, buffer + sizeof buffer, value);
        out.append(buffer, end.ptr);
    }
}

void append_number(std::string& out, std::uint64_t value) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, end.ptr);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    append_escaped(out, value, true);
    return out;
}

std::string format_sample_value(double value) {
    std::string out;
    append_number(out, value);
    return out;
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void PrometheusText::start_sample(std::string_view name, std::string_view suffix,
                                  std::initializer_list<Label> labels, const Label* extra) {
    out_ += name;
    out_ += suffix;
    if (labels.size() == 0 && extra == nullptr) {
        out_ += ' ';
        return;
    }
    char separator = '{';
    const auto add = [&](const Label& label) {
        out_ += separator;
        out_ += label.name;
        out_ += "=\"";
        append_escaped(out_, label.value, true);
        out_ += '"';
        separator = ',';
    };
    for (const Label& label : labels) add(label);
    if (extra != nullptr) add(*extra);
    out_ += "} ";
}

void PrometheusText::sample(std::string_view name, std::initializer_list<Label> labels,
                            double value) {
    start_sample(name, "", labels);
    append_number(out_, value);
    out_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::initializer_list<Label> labels,
                            std::uint64_t value) {
    start_sample(name, "", labels);
    append_number(out_, value);
    out_ += '\n';
}

void PrometheusText::histogram(std::string_view name, std::initializer_list<Label> labels,
                               const Histogram& histogram) {
    const std::vector<std::string>& bounds = bound_labels(histogram.bounds());
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= kHistogramBounds; ++i) {
        cumulative += histogram.in_bucket(i);
        const Label le{"le", bounds[i]};
        start_sample(name, "_bucket", labels, &le);
        append_number(out_, cumulative);
        out_ += '\n';
    }
    start_sample(name, "_sum", labels);
    append_number(out_, histogram.sum_seconds());
    out_ += '\n';
    start_sample(name, "_count", labels);
    append_number(out_, histogram.count());
    out_ += '\n';
}

const std::vector<std::string>& PrometheusText::bound_labels(const HistogramBounds& bounds) {
    // Written for every task's histograms: formatted once per set of bounds.
    if (bounds_ != &bounds) {
        bounds_ = &bounds;
        bound_labels_.clear();
        for (const double bound : bounds) bound_labels_.push_back(format_sample_value(bound));
        bound_labels_.push_back("+Inf");
    }
    return bound_labels_;
}

}  // namespace tasksrun

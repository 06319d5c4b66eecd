#include "schedule/cron.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <charconv>
#include <span>
#include <vector>

namespace tasksrun {
namespace {

using namespace std::chrono_literals;

struct FieldSpec {
    std::string_view name;
    unsigned min;
    unsigned max;
    std::span<const std::string_view> names;  // names[i] stands for min + i
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 8> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT", "SUN"};

constexpr FieldSpec kSecondSpec{"second", 0, 59, {}};
constexpr FieldSpec kMinuteSpec{"minute", 0, 59, {}};
constexpr FieldSpec kHourSpec{"hour", 0, 23, {}};
constexpr FieldSpec kDayOfMonthSpec{"day-of-month", 1, 31, {}};
constexpr FieldSpec kMonthSpec{"month", 1, 12, kMonthNames};
constexpr FieldSpec kDayOfWeekSpec{"day-of-week", 0, 7, kWeekdayNames};

struct ParsedField {
    std::uint64_t mask = 0;
    bool starts_with_star = false;
};

// One whitespace-separated token of the expression and where it starts.
struct Token {
    std::string_view text;
    std::size_t offset;
};

std::unexpected<CronParseError> fail(std::size_t offset, std::string message) {
    return std::unexpected(CronParseError{std::move(message), offset});
}

std::unexpected<CronParseError> field_error(std::size_t offset, const FieldSpec& spec,
                                            std::string_view message) {
    return fail(offset, std::string(spec.name) + " field: " + std::string(message));
}

std::string quote(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

std::string range_text(const FieldSpec& spec) {
    return std::to_string(spec.min) + "-" + std::to_string(spec.max);
}

std::expected<unsigned, CronParseError> parse_value(std::string_view text, std::size_t offset,
                                                    const FieldSpec& spec) {
    if (text.empty()) return field_error(offset, spec, "missing value");
    if (std::isalpha(static_cast<unsigned char>(text.front())) && !spec.names.empty()) {
        const std::string name = upper(text);
        for (std::size_t i = 0; i < spec.names.size(); ++i) {
            if (spec.names[i] == name) return spec.min + static_cast<unsigned>(i);
        }
        return field_error(offset, spec, "unknown name " + quote(text));
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return field_error(offset, spec, quote(text) + " is not a number");
    }
    if (value < spec.min || value > spec.max) {
        return field_error(offset, spec,
                           std::to_string(value) + " is out of range " + range_text(spec));
    }
    return value;
}

// One list element: "*", "*/n", "a", "a-b", "a-b/n" or "a/n" (a to the field's maximum).
std::expected<std::uint64_t, CronParseError> parse_item(std::string_view item, std::size_t offset,
                                                        const FieldSpec& spec) {
    std::string_view range_part = item;
    unsigned step = 1;
    const std::size_t slash = item.find('/');
    if (slash != std::string_view::npos) {
        range_part = item.substr(0, slash);
        const std::string_view step_text = item.substr(slash + 1);
        const auto [end, ec] =
            std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
        if (ec != std::errc{} || end != step_text.data() + step_text.size() || step == 0) {
            return field_error(offset + slash + 1, spec,
                               "step " + quote(step_text) + " must be a positive number");
        }
    }
    unsigned low = spec.min;
    unsigned high = spec.max;
    if (range_part != "*") {
        const std::size_t dash = range_part.find('-');
        auto first = parse_value(range_part.substr(0, dash), offset, spec);
        if (!first) return std::unexpected(first.error());
        low = *first;
        if (dash != std::string_view::npos) {
            auto last = parse_value(range_part.substr(dash + 1), offset + dash + 1, spec);
            if (!last) return std::unexpected(last.error());
            high = *last;
            if (high < low) {
                return field_error(offset, spec, "range " + quote(range_part) + " runs backwards");
            }
        } else if (slash == std::string_view::npos) {
            high = low;
        }
    }
    std::uint64_t mask = 0;
    for (unsigned v = low; v <= high; v += step) mask |= std::uint64_t{1} << v;
    return mask;
}

// "?", "L", "15W", "5L", "MON#2": extensions of Quartz and others that cron does not have.
// Names such as JUL or WED contain L and W too, so only these exact shapes count.
bool is_quartz_syntax(std::string_view item) {
    if (item.find_first_of("?#") != std::string_view::npos || item == "L") return true;
    return item.size() > 1 && std::isdigit(static_cast<unsigned char>(item[item.size() - 2])) &&
           (item.back() == 'L' || item.back() == 'W');
}

std::expected<ParsedField, CronParseError> parse_field(const Token& token, const FieldSpec& spec) {
    ParsedField field;
    field.starts_with_star = token.text.front() == '*';
    std::size_t start = 0;
    while (start <= token.text.size()) {
        std::size_t comma = token.text.find(',', start);
        if (comma == std::string_view::npos) comma = token.text.size();
        const std::string_view item = token.text.substr(start, comma - start);
        if (item.empty()) {
            return field_error(token.offset + start, spec, "empty list item");
        }
        if (is_quartz_syntax(item)) {
            return field_error(token.offset + start, spec,
                               quote(item) + " uses syntax that cron does not have");
        }
        auto mask = parse_item(item, token.offset + start, spec);
        if (!mask) return std::unexpected(mask.error());
        field.mask |= *mask;
        start = comma + 1;
    }
    return field;
}

std::vector<Token> split_fields(std::string_view text) {
    std::vector<Token> tokens;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        const std::size_t start = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i > start) tokens.push_back({text.substr(start, i - start), start});
    }
    return tokens;
}

std::optional<std::string_view> expand_macro(std::string_view text) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kMacros = {{
        {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
        {"@monthly", "0 0 1 * *"},
        {"@weekly", "0 0 * * 0"},
        {"@daily", "0 0 * * *"},
        {"@midnight", "0 0 * * *"},
        {"@hourly", "0 * * * *"},
    }};
    for (const auto& [name, expansion] : kMacros) {
        if (text == name) return expansion;
    }
    return std::nullopt;
}

constexpr unsigned kMaxDaysInMonth[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

}  // namespace

unsigned CronExpression::Field::next_at(unsigned from) const {
    if (from >= 64) return 64;
    const std::uint64_t rest = mask >> from;
    return rest == 0 ? 64 : from + static_cast<unsigned>(std::countr_zero(rest));
}

std::expected<CronExpression, CronParseError> CronExpression::parse(std::string_view text) {
    std::string_view trimmed = text;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
        trimmed.remove_prefix(1);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
        trimmed.remove_suffix(1);

    std::string_view fields_text = text;
    const bool is_macro = !trimmed.empty() && trimmed.front() == '@';
    if (is_macro) {
        auto expansion = expand_macro(trimmed);
        if (!expansion) {
            return fail(static_cast<std::size_t>(trimmed.data() - text.data()),
                        "unknown macro " + quote(trimmed) +
                            " (use @hourly, @daily, @weekly, @monthly or @yearly)");
        }
        fields_text = *expansion;
    }

    std::vector<Token> tokens = split_fields(fields_text);
    if (tokens.size() != 5 && tokens.size() != 6) {
        return fail(0,
                    "expected 5 fields (minute hour day-of-month month day-of-week) or 6 with "
                    "seconds first, found " +
                        std::to_string(tokens.size()));
    }
    if (is_macro) {
        for (Token& token : tokens) token.offset = 0;  // errors cannot happen inside a macro
    }
    if (tokens.size() == 5) tokens.insert(tokens.begin(), Token{"0", tokens.front().offset});

    CronExpression cron;
    cron.text_ = std::string(trimmed);
    const FieldSpec* specs[] = {&kSecondSpec,     &kMinuteSpec, &kHourSpec,
                                &kDayOfMonthSpec, &kMonthSpec,  &kDayOfWeekSpec};
    ParsedField parsed[6];
    for (std::size_t i = 0; i < 6; ++i) {
        auto field = parse_field(tokens[i], *specs[i]);
        if (!field) return std::unexpected(field.error());
        parsed[i] = *field;
    }
    cron.seconds_.mask = parsed[0].mask;
    cron.minutes_.mask = parsed[1].mask;
    cron.hours_.mask = parsed[2].mask;
    cron.days_of_month_.mask = parsed[3].mask;
    cron.months_.mask = parsed[4].mask;
    std::uint64_t weekdays = parsed[5].mask;
    if (weekdays & (std::uint64_t{1} << 7)) weekdays = (weekdays | 1) & 0x7f;  // 7 is Sunday
    cron.days_of_week_.mask = weekdays;
    cron.day_of_month_star_ = parsed[3].starts_with_star;
    cron.day_of_week_star_ = parsed[5].starts_with_star;
    cron.fixed_time_ = !parsed[1].starts_with_star && !parsed[2].starts_with_star;

    // Only a day-of-month list whose days no selected month has can never match: when the
    // day-of-week field takes part, some weekday comes round in every month.
    const bool weekday_decides = !cron.day_of_week_star_ && !cron.day_of_month_star_;
    if (!weekday_decides && cron.day_of_week_star_) {
        bool possible = false;
        for (unsigned m = 1; m <= 12 && !possible; ++m) {
            if (!cron.months_.allows(m)) continue;
            possible = cron.days_of_month_.next_at(1) <= kMaxDaysInMonth[m];
        }
        if (!possible) {
            return fail(tokens[3].offset,
                        "this expression never fires: no selected month has the selected days");
        }
    }
    return cron;
}

bool CronExpression::day_matches(const date::year_month_day& ymd, date::weekday wd) const {
    const bool dom = days_of_month_.allows(static_cast<unsigned>(ymd.day()));
    const bool dow = days_of_week_.allows(wd.c_encoding());
    if (day_of_month_star_ || day_of_week_star_) return dom && dow;
    return dom || dow;
}

bool CronExpression::matches(date::local_seconds t) const {
    const date::local_days day = date::floor<date::days>(t);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss tod{t - day};
    return months_.allows(static_cast<unsigned>(ymd.month())) &&
           day_matches(ymd, date::weekday{day}) &&
           hours_.allows(static_cast<unsigned>(tod.hours().count())) &&
           minutes_.allows(static_cast<unsigned>(tod.minutes().count())) &&
           seconds_.allows(static_cast<unsigned>(tod.seconds().count()));
}

std::optional<date::local_seconds> CronExpression::next_match(date::local_seconds from,
                                                              date::local_seconds until) const {
    using std::chrono::hours;
    using std::chrono::minutes;
    using std::chrono::seconds;
    date::local_seconds t = from;
    while (t < until) {
        const date::local_days day = date::floor<date::days>(t);
        const date::year_month_day ymd{day};
        const auto month = static_cast<unsigned>(ymd.month());
        if (!months_.allows(month)) {
            const unsigned next_month = months_.next_at(month);
            const date::year_month first_of_next =
                next_month <= 12 ? ymd.year() / date::month{next_month}
                                 : (ymd.year() + date::years{1}) / date::month{months_.next_at(1)};
            t = date::local_days{first_of_next / 1};
            continue;
        }
        if (!day_matches(ymd, date::weekday{day})) {
            t = day + date::days{1};
            continue;
        }
        const seconds since_midnight = t - day;
        const auto hour = static_cast<unsigned>(since_midnight / hours{1});
        const auto minute = static_cast<unsigned>((since_midnight % hours{1}) / minutes{1});
        const auto second = static_cast<unsigned>((since_midnight % minutes{1}).count());
        if (!hours_.allows(hour)) {
            const unsigned next_hour = hours_.next_at(hour);
            t = next_hour < 24 ? day + hours{next_hour} : day + date::days{1};
            continue;
        }
        if (!minutes_.allows(minute)) {
            const unsigned next_minute = minutes_.next_at(minute);
            t = next_minute < 60 ? day + hours{hour} + minutes{next_minute} : day + hours{hour + 1};
            continue;
        }
        if (!seconds_.allows(second)) {
            const unsigned next_second = seconds_.next_at(second);
            t = next_second < 60 ? day + hours{hour} + minutes{minute} + seconds{next_second}
                                 : day + hours{hour} + minutes{minute + 1};
            continue;
        }
        return t;
    }
    return std::nullopt;
}

}  // namespace tasksrun

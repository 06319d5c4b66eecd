// Parsing a cron expression into CronExpression's bit sets; matching is in cron.cpp.
#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <charconv>
#include <span>
#include <vector>

#include "schedule/cron.hpp"
#include "util/stable_hash.hpp"
#include "util/suggest.hpp"

namespace tasksrun {
namespace {

using Bits = std::uint64_t;

// The position of each field in a 6-field expression; H mixes it into its hash.
enum class FieldKind : unsigned { second, minute, hour, day_of_month, month, day_of_week };

struct FieldSpec {
    std::string_view name;
    FieldKind kind;
    unsigned min;
    unsigned max;
    std::span<const std::string_view> names;  // names[i] stands for min + i
};

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 8> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT", "SUN"};

constexpr FieldSpec kSpecs[] = {
    {"second", FieldKind::second, 0, 59, {}},
    {"minute", FieldKind::minute, 0, 59, {}},
    {"hour", FieldKind::hour, 0, 23, {}},
    {"day-of-month", FieldKind::day_of_month, 1, 31, {}},
    {"month", FieldKind::month, 1, 12, kMonthNames},
    {"day-of-week", FieldKind::day_of_week, 0, 7, kWeekdayNames},
};

// A bare H in day-of-month stays within the days every month has, as in Jenkins.
constexpr unsigned kHashedDayOfMonthMax = 28;
constexpr unsigned kMaxBeforeLast = 30;  // L-30: the 1st of a 31-day month
constexpr unsigned kMaxWeekOfMonth = 5;
constexpr unsigned kLastWeekBit = 35;  // nth_weekdays_: bits 35..41 are "the last such weekday"

// One whitespace-separated token of the expression and where it starts.
struct Token {
    std::string_view text;
    std::size_t offset;
};

// What the items of one field add up to.
struct FieldBits {
    Bits values = 0;
    Bits last_days = 0;
    Bits nearest_weekdays = 0;
    Bits nth_weekdays = 0;
    bool starts_with_star = false;
};

std::unexpected<CronParseError> fail(std::size_t offset, std::string message) {
    return std::unexpected(CronParseError{std::move(message), offset});
}

std::string quote(std::string_view s) {
    return "\"" + std::string(s) + "\"";
}

std::string upper(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

bool is_digit(char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::optional<unsigned> number(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// H's value is stable across machines and versions: FNV-1a of the key (fnv1a), then SplitMix64
// to spread what one field and item take from it.
std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    return x ^ (x >> 31);
}

// Parses the items of one field. Works on an upper-cased copy of the token, so names and
// letters are case-insensitive and offsets stay those of the original text.
class FieldParser {
  public:
    FieldParser(const FieldSpec& spec, std::uint64_t hash_seed) : spec_(spec), seed_(hash_seed) {}

    std::expected<FieldBits, CronParseError> parse(const Token& token) {
        written_ = token.text;
        upper_ = upper(token.text);
        const std::string_view text = upper_;
        bits_.starts_with_star = text.front() == '*' || (is_day_field() && text.front() == '?');
        std::size_t start = 0;
        unsigned index = 0;
        while (start <= text.size()) {
            const std::size_t comma = std::min(text.find(',', start), text.size());
            const std::string_view item = text.substr(start, comma - start);
            if (item.empty()) return error(token.offset + start, "empty list item");
            if (auto added = parse_item(item, token.offset + start, index++); !added)
                return std::unexpected(added.error());
            start = comma + 1;
        }
        return bits_;
    }

  private:
    using Result = std::expected<void, CronParseError>;

    bool is_day_field() const {
        return spec_.kind == FieldKind::day_of_month || spec_.kind == FieldKind::day_of_week;
    }
    bool is(FieldKind kind) const { return spec_.kind == kind; }

    // A part of the upper-cased token, quoted as the user wrote it.
    std::string written(std::string_view part) const {
        return quote(
            written_.substr(static_cast<std::size_t>(part.data() - upper_.data()), part.size()));
    }

    std::unexpected<CronParseError> error(std::size_t offset, std::string_view message) const {
        return fail(offset, std::string(spec_.name) + " field: " + std::string(message));
    }
    std::string range_text() const {
        return std::to_string(spec_.min) + "-" + std::to_string(spec_.max);
    }

    Result parse_item(std::string_view item, std::size_t at, unsigned index) {
        if (item.front() == 'H') return hashed(item, at, index);
        if (item == "?") {
            if (!is_day_field())
                return error(at, "\"?\" belongs in the day-of-month or day-of-week field");
            return range(item, at);  // "?" is "*"
        }
        if (is(FieldKind::day_of_month)) {
            if (const std::size_t hash = item.find('#'); hash != std::string_view::npos)
                return error(at + hash,
                             "\"#\" (the n-th weekday) belongs in the day-of-week field");
            if (item.front() == 'L') return last_day(item, at);
            if (item.find('W') != std::string_view::npos) return nearest_weekday(item, at);
        } else if (is(FieldKind::day_of_week)) {
            if (item.find('#') != std::string_view::npos) return nth_weekday(item, at);
            if (item.front() == 'L') {
                return error(at, written(item) +
                                     ": write the weekday before L, as in 5L or FRIL (the last "
                                     "Friday of the month)");
            }
            if (item.size() > 1 && item.back() == 'L') return last_weekday(item, at);
            if (item.size() > 1 && item.back() == 'W' && is_digit(item[item.size() - 2]))
                return error(at, "\"W\" (the nearest weekday) belongs in the day-of-month field");
        } else if (is_extension(item)) {
            return error(at, written(item) + " belongs in the day-of-month or day-of-week field");
        }
        return range(item, at);
    }

    // "L", "15W", "5L", "MON#2": the day extensions; names such as JUL contain L too.
    static bool is_extension(std::string_view item) {
        if (item.find('#') != std::string_view::npos || item == "L" || item == "LW") return true;
        return item.size() > 1 && is_digit(item[item.size() - 2]) &&
               (item.back() == 'L' || item.back() == 'W');
    }

    std::expected<unsigned, CronParseError> value(std::string_view text, std::size_t at) const {
        if (text.empty()) return error(at, "missing value");
        if (std::isalpha(static_cast<unsigned char>(text.front())) && !spec_.names.empty()) {
            for (std::size_t i = 0; i < spec_.names.size(); ++i) {
                if (spec_.names[i] == text) return spec_.min + static_cast<unsigned>(i);
            }
            return error(at, "unknown name " + written(text) +
                                 did_you_mean(closest_match(text, spec_.names)));
        }
        const auto parsed = number(text);
        if (!parsed) return error(at, written(text) + " is not a number");
        if (*parsed < spec_.min || *parsed > spec_.max)
            return error(at, std::to_string(*parsed) + " is out of range " + range_text());
        return *parsed;
    }

    std::expected<unsigned, CronParseError> step_after(std::string_view item, std::size_t slash,
                                                       std::size_t at) const {
        const std::string_view text = item.substr(slash + 1);
        const auto step = number(text);
        if (!step || *step == 0)
            return error(at + slash + 1, "step " + written(text) + " must be a positive number");
        return *step;
    }

    Result no_step(std::string_view item, std::size_t at) const {
        if (const std::size_t slash = item.find('/'); slash != std::string_view::npos)
            return error(at + slash, "a step does not apply to " + written(item.substr(0, slash)));
        return {};
    }

    // a-b as a set of values; b < a wraps around the field (FRI-MON, NOV-FEB, 22-2).
    Bits values_between(unsigned low, unsigned high, unsigned step) const {
        unsigned cycle_max = spec_.max;
        if (is(FieldKind::day_of_week) && low > high) {
            low %= 7;  // 7 is Sunday: the week wraps after Saturday
            high %= 7;
            cycle_max = 6;
        }
        const unsigned cycle = cycle_max - spec_.min + 1;
        const unsigned end = low <= high ? high : high + cycle;
        Bits bits = 0;
        for (unsigned u = low; u <= end; u += step)
            bits |= Bits{1} << (u > cycle_max ? u - cycle : u);
        return bits;
    }

    // "*", "*/n", "a", "a-b", "a-b/n", "a/n" (a to the field's maximum); day-of-month "a-L".
    Result range(std::string_view item, std::size_t at) {
        std::string_view range_part = item;
        unsigned step = 1;
        const std::size_t slash = item.find('/');
        if (slash != std::string_view::npos) {
            range_part = item.substr(0, slash);
            auto parsed = step_after(item, slash, at);
            if (!parsed) return std::unexpected(parsed.error());
            step = *parsed;
        }
        unsigned low = spec_.min;
        unsigned high = spec_.max;
        if (range_part != "*" && range_part != "?") {
            const std::size_t dash = range_part.find('-');
            auto first = value(range_part.substr(0, dash), at);
            if (!first) return std::unexpected(first.error());
            low = *first;
            if (dash != std::string_view::npos) {
                const std::string_view last_text = range_part.substr(dash + 1);
                auto last = is(FieldKind::day_of_month) && last_text == "L"
                                ? std::expected<unsigned, CronParseError>(spec_.max)
                                : value(last_text, at + dash + 1);
                if (!last) return std::unexpected(last.error());
                high = *last;
            } else if (slash == std::string_view::npos) {
                high = low;
            }
        }
        bits_.values |= values_between(low, high, step);
        return {};
    }

    // H, H(a-b), H/n, H(a-b)/n: one value, or one offset into a step, taken from the hash.
    Result hashed(std::string_view item, std::size_t at, unsigned index) {
        unsigned low = spec_.min;
        unsigned high = is(FieldKind::day_of_month)  ? kHashedDayOfMonthMax
                        : is(FieldKind::day_of_week) ? 6
                                                     : spec_.max;
        std::size_t i = 1;
        if (i < item.size() && item[i] == '(') {
            const std::size_t close = item.find(')', i);
            const std::size_t dash = item.find('-', i);
            if (close == std::string_view::npos || dash == std::string_view::npos || dash > close)
                return error(at + i, "H takes a range as H(a-b)");
            auto first = value(item.substr(i + 1, dash - i - 1), at + i + 1);
            if (!first) return std::unexpected(first.error());
            auto last = value(item.substr(dash + 1, close - dash - 1), at + dash + 1);
            if (!last) return std::unexpected(last.error());
            if (*first > *last) {
                return error(at + i + 1, "H range " + written(item.substr(i + 1, close - i - 1)) +
                                             " runs backwards");
            }
            low = *first;
            high = *last;
            i = close + 1;
        }
        const std::uint64_t hash =
            splitmix64(seed_ + 8 * index + static_cast<unsigned>(spec_.kind));
        if (i == item.size()) {
            bits_.values |= Bits{1} << (low + hash % (high - low + 1));
            return {};
        }
        if (item[i] != '/') return error(at + i, "H is written H, H(a-b), H/n or H(a-b)/n");
        auto step = step_after(item, i, at);
        if (!step) return std::unexpected(step.error());
        const unsigned offset = static_cast<unsigned>(hash % std::min(*step, high - low + 1));
        for (unsigned v = low + offset; v <= high; v += *step) bits_.values |= Bits{1} << v;
        return {};
    }

    // L, L-n, LW, L-nW.
    Result last_day(std::string_view item, std::size_t at) {
        if (auto ok = no_step(item, at); !ok) return ok;
        const bool weekday = item.back() == 'W';
        const std::string_view body = item.substr(0, item.size() - (weekday ? 1 : 0));
        unsigned before_last = 0;
        if (body != "L") {
            const auto parsed = body.size() > 2 && body[1] == '-' ? number(body.substr(2))
                                                                  : std::optional<unsigned>{};
            if (!parsed) return error(at, written(item) + " is not L, L-n, LW or L-nW");
            if (*parsed > kMaxBeforeLast) {
                return error(at + 2, written(item) + ": the days before the last must be 0-" +
                                         std::to_string(kMaxBeforeLast));
            }
            before_last = *parsed;
        }
        bits_.last_days |= Bits{1} << (before_last + (weekday ? 32 : 0));
        return {};
    }

    // nW: the weekday nearest day n.
    Result nearest_weekday(std::string_view item, std::size_t at) {
        if (auto ok = no_step(item, at); !ok) return ok;
        const std::string_view day = item.substr(0, item.size() - 1);
        if (item.back() != 'W' || day.find_first_not_of("0123456789") != std::string_view::npos)
            return error(at, written(item) + ": W follows one day, as in 15W or LW");
        auto parsed = value(day, at);
        if (!parsed) return std::unexpected(parsed.error());
        bits_.nearest_weekdays |= Bits{1} << *parsed;
        return {};
    }

    // 5L, FRIL: the last such weekday of the month.
    Result last_weekday(std::string_view item, std::size_t at) {
        if (auto ok = no_step(item, at); !ok) return ok;
        const std::string_view day = item.substr(0, item.size() - 1);
        if (day.find('-') != std::string_view::npos)
            return error(at, written(item) + ": L follows one weekday, as in 5L or FRIL");
        auto weekday = value(day, at);
        if (!weekday) return std::unexpected(weekday.error());
        bits_.nth_weekdays |= Bits{1} << (kLastWeekBit + *weekday % 7);
        return {};
    }

    // d#n, d-e#n (each weekday from d to e), d#L: the n-th (or last) such weekday of the month.
    Result nth_weekday(std::string_view item, std::size_t at) {
        if (auto ok = no_step(item, at); !ok) return ok;
        const std::size_t hash = item.find('#');
        const std::string_view days = item.substr(0, hash);
        const std::string_view week = item.substr(hash + 1);
        const std::size_t dash = days.find('-');
        auto first = value(days.substr(0, dash), at);
        if (!first) return std::unexpected(first.error());
        unsigned last = *first;
        if (dash != std::string_view::npos) {
            auto parsed = value(days.substr(dash + 1), at + dash + 1);
            if (!parsed) return std::unexpected(parsed.error());
            last = *parsed;
        }
        const auto n = number(week);
        if (week != "L" && (!n || *n < 1 || *n > kMaxWeekOfMonth)) {
            return error(at + hash + 1, "week " + written(week) + " after # must be 1-" +
                                            std::to_string(kMaxWeekOfMonth) + " or L (the last)");
        }
        for (Bits weekdays = values_between(*first, last, 1); weekdays != 0;
             weekdays &= weekdays - 1) {
            const unsigned weekday = static_cast<unsigned>(std::countr_zero(weekdays)) % 7;
            const unsigned bit = week == "L" ? kLastWeekBit + weekday : 7 * (*n - 1) + weekday;
            bits_.nth_weekdays |= Bits{1} << bit;
        }
        return {};
    }

    const FieldSpec& spec_;
    const std::uint64_t seed_;
    std::string_view written_;  // the token as written
    std::string upper_;         // the same, upper-cased: what the items are read from
    FieldBits bits_;
};

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

// Sunday is 0; 7 says it too.
Bits fold_sunday(Bits weekdays) {
    return weekdays & (Bits{1} << 7) ? (weekdays | 1) & 0x7f : weekdays;
}

}  // namespace

std::expected<CronExpression, CronParseError> CronExpression::parse(std::string_view text,
                                                                    std::string_view hash_key) {
    std::string_view trimmed = text;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
        trimmed.remove_prefix(1);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
        trimmed.remove_suffix(1);

    std::string_view fields_text = text;
    const bool is_macro = !trimmed.empty() && trimmed.front() == '@';
    if (is_macro) {
        auto expansion = expand_macro(trimmed);
        const auto at = static_cast<std::size_t>(trimmed.data() - text.data());
        if (trimmed == "@reboot") {
            return fail(at, "@reboot is not a calendar schedule: it fires when the task starts");
        }
        if (!expansion) {
            return fail(at, "unknown macro " + quote(trimmed) +
                                " (use @hourly, @daily, @weekly, @monthly, @yearly or @reboot)");
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

    const std::uint64_t seed = fnv1a(hash_key);
    FieldBits fields[6];
    for (std::size_t i = 0; i < 6; ++i) {
        auto field = FieldParser(kSpecs[i], seed).parse(tokens[i]);
        if (!field) return std::unexpected(field.error());
        fields[i] = *field;
    }
    CronExpression cron;
    cron.text_ = std::string(trimmed);
    cron.seconds_ = fields[0].values;
    cron.minutes_ = fields[1].values;
    cron.hours_months_weekdays_ = fields[2].values | fields[4].values << kMonthsAt |
                                  fold_sunday(fields[5].values) << kWeekdaysAt |
                                  Bits{fields[3].starts_with_star} << kDayOfMonthStar |
                                  Bits{fields[5].starts_with_star} << kDayOfWeekStar |
                                  Bits{!fields[1].starts_with_star && !fields[2].starts_with_star}
                                      << kFixedTime;
    cron.days_of_month_ = fields[3].values | fields[3].nearest_weekdays << 32;
    cron.last_days_ = fields[3].last_days;
    cron.nth_weekdays_ = fields[5].nth_weekdays;
    constexpr Bits kAllDays = 0xFFFF'FFFE;  // 1..31
    constexpr Bits kAllWeekdays = 0x7F;
    if (cron.days_of_month_ == kAllDays && cron.weekday_field().mask == kAllWeekdays &&
        cron.last_days_ == 0 && cron.nth_weekdays_ == 0) {
        cron.hours_months_weekdays_ |= Bits{1} << kEveryDay;
    }

    // The Gregorian calendar repeats every 400 years, so one cycle shows every month there is.
    // Most expressions match in the first month looked at.
    for (int year = 2000; year < 2400; ++year) {
        for (unsigned m = cron.month_field().next_at(1); m <= 12;
             m = cron.month_field().next_at(m + 1)) {
            if (cron.matching_days(date::year{year} / date::month{m}) != 0) return cron;
        }
    }
    return fail(tokens[3].offset,
                "this expression never fires: no selected month has the selected days");
}

}  // namespace tasksrun

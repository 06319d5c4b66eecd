#include "schedule/posix_tz.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace tasksrun {
namespace {

using std::chrono::seconds;

// Far enough inside date::year's range that two years either side still exist.
constexpr int kFirstRuleYear = -32760;
constexpr int kLastRuleYear = 32760;

// Reads the text left to right; every failure names what was expected and where.
class RuleReader {
  public:
    explicit RuleReader(std::string_view text) : text_(text) {}

    bool at_end() const { return i_ == text_.size(); }
    bool next_is(char c) const { return !at_end() && text_[i_] == c; }
    bool next_is_digit() const {
        return !at_end() && std::isdigit(static_cast<unsigned char>(text_[i_]));
    }
    bool consume(char c) {
        if (!next_is(c)) return false;
        ++i_;
        return true;
    }

    // For a number read whole that turns out wrong: point at its first digit.
    std::unexpected<std::string> back_and_fail(std::size_t digits, std::string_view what) {
        i_ -= digits;
        return fail(what);
    }

    std::unexpected<std::string> fail(std::string_view what) const {
        return std::unexpected("TZ rule \"" + std::string(text_) + "\": expected " +
                               std::string(what) + " at position " + std::to_string(i_ + 1));
    }

    // "EST", or "<+0330>" (letters, digits, '+' and '-' between angle brackets); 3 or more.
    std::expected<void, std::string> name() {
        std::size_t length = 0;
        if (consume('<')) {
            while (!at_end() && !next_is('>')) {
                const char c = text_[i_];
                if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-')
                    return fail("a letter, digit, '+', '-' or '>' in a quoted zone abbreviation");
                ++i_;
                ++length;
            }
            if (!consume('>')) return fail("'>'");
        } else {
            while (!at_end() && std::isalpha(static_cast<unsigned char>(text_[i_]))) {
                ++i_;
                ++length;
            }
        }
        if (length < 3) return fail("a zone abbreviation of at least 3 characters");
        return {};
    }

    std::expected<unsigned, std::string> number(unsigned max_digits, unsigned max_value,
                                                std::string_view what) {
        if (!next_is_digit()) return fail(what);
        const std::size_t start = i_;
        unsigned value = 0;
        for (unsigned digits = 0; digits < max_digits && next_is_digit(); ++digits)
            value = value * 10 + static_cast<unsigned>(text_[i_++] - '0');
        if (value > max_value) {
            i_ = start;  // point at the number, not past it
            return fail(what);
        }
        return value;
    }

    // [+-]h[h[h]][:mm[:ss]], hours at most max_hours.
    std::expected<seconds, std::string> signed_time(unsigned max_hours) {
        const bool negative = consume('-');
        if (!negative) consume('+');
        auto hours = number(3, max_hours, "hours (0-" + std::to_string(max_hours) + ")");
        if (!hours) return std::unexpected(hours.error());
        seconds total = std::chrono::hours{*hours};
        for (const auto unit : {seconds{60}, seconds{1}}) {
            if (!consume(':')) break;
            auto part = number(2, 59, unit == seconds{60} ? "minutes (00-59)" : "seconds (00-59)");
            if (!part) return std::unexpected(part.error());
            total += unit * *part;
        }
        return negative ? -total : total;
    }

    // Mm.w.d, Jn or n, then an optional /time.
    std::expected<PosixTransitionDay, std::string> transition_day() {
        PosixTransitionDay day;
        if (consume('M')) {
            auto month = number(2, 12, "a month (1-12)");
            if (!month) return std::unexpected(month.error());
            if (*month == 0) return back_and_fail(1, "a month (1-12)");
            if (!consume('.')) return fail("'.' after the month");
            auto week = number(1, 5, "a week (1-5)");
            if (!week) return std::unexpected(week.error());
            if (*week == 0) return back_and_fail(1, "a week (1-5)");
            if (!consume('.')) return fail("'.' after the week");
            auto weekday = number(1, 6, "a weekday (0-6)");
            if (!weekday) return std::unexpected(weekday.error());
            day.kind = PosixTransitionDay::Kind::month_week_day;
            day.month = static_cast<std::uint8_t>(*month);
            day.week = static_cast<std::uint8_t>(*week);
            day.weekday = static_cast<std::uint8_t>(*weekday);
        } else if (consume('J')) {
            auto julian = number(3, 365, "a day of the year (1-365)");
            if (!julian) return std::unexpected(julian.error());
            if (*julian == 0) return back_and_fail(1, "a day of the year (1-365)");
            day.kind = PosixTransitionDay::Kind::julian_no_leap;
            day.day = static_cast<std::uint16_t>(*julian);
        } else {
            auto zero_based = number(3, 365, "'M', 'J' or a day of the year (0-365)");
            if (!zero_based) return std::unexpected(zero_based.error());
            day.kind = PosixTransitionDay::Kind::zero_based;
            day.day = static_cast<std::uint16_t>(*zero_based);
        }
        if (consume('/')) {
            auto time = signed_time(167);
            if (!time) return std::unexpected(time.error());
            day.time = *time;
        }
        return day;
    }

  private:
    std::string_view text_;
    std::size_t i_ = 0;
};

// POSIX offsets count west of Greenwich ("EST5"); ours count east.
std::expected<seconds, std::string> utc_offset(RuleReader& reader) {
    auto west = reader.signed_time(24);
    if (!west) return std::unexpected(west.error());
    return -*west;
}

date::year clamp_year(SysSeconds t) {
    const int year = static_cast<int>(date::year_month_day{date::floor<date::days>(t)}.year());
    return date::year{std::clamp(year, kFirstRuleYear, kLastRuleYear)};
}

SysSeconds to_sys(date::local_seconds local, seconds offset) {
    return SysSeconds{local.time_since_epoch() - offset};
}

}  // namespace

date::local_seconds PosixTransitionDay::in_year(date::year year) const {
    date::local_days date;
    switch (kind) {
        case Kind::month_week_day: {
            const date::month m{month};
            const date::weekday wd{weekday};
            date = week == 5 ? date::local_days{year / m / wd[date::last]}
                             : date::local_days{year / m / wd[week]};
            break;
        }
        case Kind::julian_no_leap:
            // February 29 is never counted: J60 is March 1 in every year.
            date = date::local_days{year / 1 / 1} +
                   date::days{day - 1 + (year.is_leap() && day >= 60 ? 1 : 0)};
            break;
        case Kind::zero_based:
            date = date::local_days{year / 1 / 1} + date::days{day};
            break;
    }
    return date + time;
}

std::expected<PosixTzRule, std::string> PosixTzRule::parse(std::string_view text) {
    RuleReader reader(text);
    PosixTzRule rule;
    if (auto name = reader.name(); !name) return std::unexpected(name.error());
    auto standard = utc_offset(reader);
    if (!standard) return std::unexpected(standard.error());
    rule.std_offset_ = *standard;
    if (reader.at_end()) return rule;

    if (auto name = reader.name(); !name) return std::unexpected(name.error());
    rule.has_dst_ = true;
    rule.dst_offset_ = rule.std_offset_ + std::chrono::hours{1};
    if (!reader.at_end() && !reader.next_is(',')) {
        auto daylight = utc_offset(reader);
        if (!daylight) return std::unexpected(daylight.error());
        rule.dst_offset_ = *daylight;
    }
    // Without rules, the US rules (glibc's choice; POSIX leaves it to the implementation).
    rule.start_ = {.kind = PosixTransitionDay::Kind::month_week_day, .month = 3, .week = 2};
    rule.end_ = {.kind = PosixTransitionDay::Kind::month_week_day, .month = 11, .week = 1};
    if (reader.at_end()) return rule;
    if (!reader.consume(',')) return reader.fail("',' and the day DST starts");
    auto start = reader.transition_day();
    if (!start) return std::unexpected(start.error());
    if (!reader.consume(',')) return reader.fail("',' and the day DST ends");
    auto end = reader.transition_day();
    if (!end) return std::unexpected(end.error());
    if (!reader.at_end()) return reader.fail("the end of the rule");
    rule.start_ = *start;
    rule.end_ = *end;
    return rule;
}

// Lists the start and end instants of the years around t, in time order, and reads the segment
// off them. A start and an end that fall on one instant leave the clock on the later one in the
// rule's own order: within a year the second of the two, across a year end the next year's.
ZoneSegment PosixTzRule::segment_at(SysSeconds t) const {
    if (!has_dst_) return {kFarPast, kFarFuture, std_offset_};
    const date::year year = clamp_year(t);
    // The local start and end of the years either side of t's. A year's changes lie within a
    // week of it (times reach +-167 h), so these hold the change before t, the one before that,
    // and the one after.
    std::array<date::local_seconds, 3> starts{};
    std::array<date::local_seconds, 3> ends{};
    for (int k = 0; k < 3; ++k) {
        starts[k] = start_.in_year(year + date::years{k - 1});
        ends[k] = end_.in_year(year + date::years{k - 1});
    }
    // DST all year: each year's end is the next year's start (RFC 8536 section 3.3.1).
    if (to_sys(ends[1], dst_offset_) >= to_sys(starts[2], std_offset_)) {
        return {kFarPast, kFarFuture, dst_offset_};
    }

    struct Change {
        SysSeconds at;
        int order;  // the rule's own sequence, for changes on the same instant
        seconds offset;
    };
    std::array<Change, 6> changes{};
    std::size_t n = 0;
    for (int k = 0; k < 3; ++k) {
        const bool starts_first = starts[k] < ends[k];
        changes[n++] = {to_sys(starts[k], std_offset_), 2 * k + (starts_first ? 0 : 1),
                        dst_offset_};
        changes[n++] = {to_sys(ends[k], dst_offset_), 2 * k + (starts_first ? 1 : 0), std_offset_};
    }
    std::ranges::sort(changes, [](const Change& a, const Change& b) {
        return a.at != b.at ? a.at < b.at : a.order < b.order;
    });
    // The offset from each instant on is that of the last change at that instant.
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (kept > 0 && changes[kept - 1].at == changes[i].at) --kept;
        changes[kept++] = changes[i];
    }

    if (t < changes[0].at) {  // only for instants clamped to the first years the rule covers
        return {kFarPast, changes[0].at,
                changes[0].offset == dst_offset_ ? std_offset_ : dst_offset_};
    }
    std::size_t current = 0;  // the last change at or before t
    while (current + 1 < kept && changes[current + 1].at <= t) ++current;
    const seconds offset = changes[current].offset;
    ZoneSegment segment{kFarPast, kFarFuture, offset};
    std::size_t first = current;
    while (first > 0 && changes[first - 1].offset == offset) --first;
    if (first > 0) segment.begin = changes[first].at;
    for (std::size_t i = current + 1; i < kept; ++i) {
        if (changes[i].offset != offset) {
            segment.end = changes[i].at;
            break;
        }
    }
    return segment;
}

}  // namespace tasksrun

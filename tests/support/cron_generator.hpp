#pragma once
// Random cron expressions, each with its meaning worked out here, independently of schedule/:
// plain sets of values, wrap-around ranges walked on a cycle, and L, W and # as direct calendar
// rules (the nearest weekday by distance, the n-th weekday by counting). A brute-force scan of
// that meaning checks CronExpression's jumps. H is left out: only the parser knows its values.
#include <date/date.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace tasksrun::test {

using DayRule = std::function<bool(date::year_month_day)>;

struct GeneratedCron {
    std::string text;
    bool has_seconds = false;
    std::set<unsigned> seconds{0};  // a 5-field expression fires at second 0
    std::set<unsigned> minutes;
    std::set<unsigned> hours;
    std::set<unsigned> months;
    DayRule day_of_month;
    DayRule day_of_week;
    // Cron's rule: a day field that starts with '*' or '?' is not restricted.
    bool day_of_month_restricted = false;
    bool day_of_week_restricted = false;

    bool day_matches(date::year_month_day ymd) const {
        if (!months.contains(static_cast<unsigned>(ymd.month()))) return false;
        const bool by_month_day = day_of_month(ymd);
        const bool by_weekday = day_of_week(ymd);
        if (day_of_month_restricted && day_of_week_restricted) return by_month_day || by_weekday;
        return by_month_day && by_weekday;
    }
    bool time_matches(std::chrono::seconds since_midnight) const {
        const auto s = static_cast<unsigned>(since_midnight.count());
        return hours.contains(s / 3600) && minutes.contains(s / 60 % 60) &&
               seconds.contains(s % 60);
    }
};

namespace cron_calendar {

inline unsigned days_in(date::year_month_day ymd) {
    return static_cast<unsigned>((ymd.year() / ymd.month() / date::last).day());
}
inline unsigned weekday_of(date::year_month_day ymd) {
    return date::weekday{date::sys_days{ymd}}.c_encoding();
}
inline unsigned weekday_of_day(date::year_month_day ymd, unsigned day) {
    return weekday_of(ymd.year() / ymd.month() / date::day{day});
}
// The weekday (Monday to Friday) of the month nearest `day`; never outside the month.
inline unsigned nearest_weekday(date::year_month_day ymd, unsigned day) {
    const auto days = static_cast<int>(days_in(ymd));
    for (int distance = 0; distance < 7; ++distance) {
        for (const int candidate :
             {static_cast<int>(day) - distance, static_cast<int>(day) + distance}) {
            if (candidate < 1 || candidate > days) continue;
            const unsigned weekday = weekday_of_day(ymd, static_cast<unsigned>(candidate));
            if (weekday != 0 && weekday != 6) return static_cast<unsigned>(candidate);
        }
    }
    return 0;
}
// How many days of this month up to and including ymd fall on ymd's weekday.
inline unsigned weekday_count_so_far(date::year_month_day ymd) {
    unsigned count = 0;
    for (unsigned d = 1; d <= static_cast<unsigned>(ymd.day()); ++d)
        count += weekday_of_day(ymd, d) == weekday_of(ymd) ? 1 : 0;
    return count;
}

}  // namespace cron_calendar

class CronGenerator {
  public:
    explicit CronGenerator(std::mt19937_64& rng) : rng_(rng) {}

    int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }

    GeneratedCron next() {
        GeneratedCron cron;
        std::vector<std::string> fields;
        if (chance(0.25)) {
            cron.has_seconds = true;
            cron.seconds.clear();
            fields.push_back(values(0, 59, {}, cron.seconds));
        }
        fields.push_back(values(0, 59, {}, cron.minutes));
        // Hours are often single small-hour values: fixed-time entries in the DST hours.
        if (chance(0.4)) {
            const auto hour = static_cast<unsigned>(uniform(0, 3));
            fields.push_back(std::to_string(hour));
            cron.hours = {hour};
        } else {
            fields.push_back(values(0, 23, {}, cron.hours));
        }
        fields.push_back(day_of_month(cron));
        fields.push_back(values(1, 12, kMonthNames, cron.months));
        fields.push_back(day_of_week(cron));
        for (const std::string& field : fields) cron.text += (cron.text.empty() ? "" : " ") + field;
        return cron;
    }

  private:
    static constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    static constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED",
                                                    "THU", "FRI", "SAT"};

    // `value` as text: a number, or sometimes its name in upper or lower case.
    std::string render(unsigned value, unsigned lo, std::span<const char* const> names) {
        if (names.empty() || value - lo >= names.size() || !chance(0.3))
            return std::to_string(value);
        std::string name = names[value - lo];
        if (chance(0.5)) {
            std::ranges::transform(name, name.begin(), [](unsigned char c) {
                return static_cast<char>(std::tolower(c));
            });
        }
        return name;
    }

    // The values from a to b (b < a wraps around) every `step`, walked on the cycle lo..hi.
    static std::set<unsigned> walk(unsigned a, unsigned b, unsigned step, unsigned lo,
                                   unsigned hi) {
        const unsigned cycle = hi - lo + 1;
        const unsigned distance = (b + cycle - a) % cycle;
        std::set<unsigned> out;
        for (unsigned k = 0; k <= distance; k += step) out.insert(lo + (a - lo + k) % cycle);
        return out;
    }

    // One list of 1-3 items over lo..hi, its text, and into `out` the values it stands for.
    // Day-of-week (hi 7) ranges that wrap walk the week 0-6, 7 being Sunday.
    std::string values(unsigned lo, unsigned hi, std::span<const char* const> names,
                       std::set<unsigned>& out) {
        std::string text;
        for (int items = chance(0.3) ? uniform(2, 3) : 1; items > 0; --items) {
            if (!text.empty()) text += ",";
            text += item(lo, hi, names, out);
        }
        return text;
    }

    std::string item(unsigned lo, unsigned hi, std::span<const char* const> names,
                     std::set<unsigned>& out) {
        const bool week = hi == 7;
        const auto pick = [&] {
            return static_cast<unsigned>(uniform(static_cast<int>(lo), static_cast<int>(hi)));
        };
        const auto step = [&] {
            return static_cast<unsigned>(uniform(1, static_cast<int>(hi - lo) / 2 + 1));
        };
        const auto add_range = [&](unsigned a, unsigned b, unsigned n) {
            if (a <= b) {
                for (unsigned v = a; v <= b; v += n) out.insert(week ? v % 7 : v);
            } else if (week) {
                for (unsigned v : walk(a % 7, b % 7, n, 0, 6)) out.insert(v);
            } else {
                for (unsigned v : walk(a, b, n, lo, hi)) out.insert(v);
            }
        };
        switch (uniform(0, 5)) {
            case 0:
                add_range(lo, hi, 1);
                return "*";
            case 1: {
                const unsigned n = step();
                add_range(lo, hi, n);
                return "*/" + std::to_string(n);
            }
            case 2: {
                const unsigned v = pick();
                add_range(v, v, 1);
                return render(v, lo, names);
            }
            case 3: {
                const unsigned a = pick();
                const unsigned b = pick();
                add_range(a, b, 1);
                return render(a, lo, names) + "-" + render(b, lo, names);
            }
            case 4: {
                const unsigned a = pick();
                const unsigned b = pick();
                const unsigned n = static_cast<unsigned>(uniform(1, 5));
                add_range(a, b, n);
                return render(a, lo, names) + "-" + render(b, lo, names) + "/" + std::to_string(n);
            }
            default: {
                const unsigned a = pick();
                const unsigned n = step();
                add_range(a, hi, n);
                return render(a, lo, names) + "/" + std::to_string(n);
            }
        }
    }

    std::string day_of_month(GeneratedCron& cron) {
        using namespace cron_calendar;
        if (chance(0.15)) {
            cron.day_of_month = [](date::year_month_day) { return true; };
            return chance(0.5) ? "*" : "?";
        }
        std::string text;
        std::vector<DayRule> rules;
        for (int items = chance(0.3) ? 2 : 1; items > 0; --items) {
            if (!text.empty()) text += ",";
            switch (uniform(0, 9)) {
                case 0:
                    text += "L";
                    rules.push_back([](date::year_month_day d) {
                        return static_cast<unsigned>(d.day()) == days_in(d);
                    });
                    break;
                case 1: {
                    const auto k = static_cast<unsigned>(uniform(0, 30));
                    text += "L-" + std::to_string(k);
                    rules.push_back([k](date::year_month_day d) {
                        return days_in(d) > k && static_cast<unsigned>(d.day()) == days_in(d) - k;
                    });
                    break;
                }
                case 2: {
                    const auto n = static_cast<unsigned>(uniform(1, 31));
                    text += std::to_string(n) + (chance(0.5) ? "W" : "w");
                    rules.push_back([n](date::year_month_day d) {
                        return n <= days_in(d) &&
                               static_cast<unsigned>(d.day()) == nearest_weekday(d, n);
                    });
                    break;
                }
                case 3: {
                    const auto k = static_cast<unsigned>(chance(0.5) ? 0 : uniform(0, 30));
                    text += k == 0 && chance(0.5) ? "LW" : "L-" + std::to_string(k) + "W";
                    rules.push_back([k](date::year_month_day d) {
                        return days_in(d) > k &&
                               static_cast<unsigned>(d.day()) == nearest_weekday(d, days_in(d) - k);
                    });
                    break;
                }
                case 4: {
                    const auto a = static_cast<unsigned>(uniform(1, 31));
                    const auto n = static_cast<unsigned>(chance(0.5) ? 1 : uniform(1, 7));
                    text += std::to_string(a) + "-L" + (n == 1 ? "" : "/" + std::to_string(n));
                    rules.push_back([a, n](date::year_month_day d) {
                        const auto day = static_cast<unsigned>(d.day());
                        return day >= a && (day - a) % n == 0;
                    });
                    break;
                }
                default: {
                    std::set<unsigned> days;
                    text += item(1, 31, {}, days);
                    rules.push_back([days](date::year_month_day d) {
                        return days.contains(static_cast<unsigned>(d.day()));
                    });
                }
            }
        }
        cron.day_of_month_restricted = text.front() != '*';
        cron.day_of_month = [rules](date::year_month_day d) {
            return std::ranges::any_of(rules, [&](const DayRule& rule) { return rule(d); });
        };
        return text;
    }

    std::string day_of_week(GeneratedCron& cron) {
        using namespace cron_calendar;
        if (chance(0.3)) {
            cron.day_of_week = [](date::year_month_day) { return true; };
            return chance(0.7) ? "*" : "?";
        }
        std::string text;
        std::vector<DayRule> rules;
        for (int items = chance(0.3) ? 2 : 1; items > 0; --items) {
            if (!text.empty()) text += ",";
            const auto weekday = static_cast<unsigned>(uniform(0, 7));
            switch (uniform(0, 5)) {
                case 0:
                    text += render(weekday, 0, kWeekdayNames) + "L";
                    rules.push_back([weekday](date::year_month_day d) {
                        return weekday_of(d) == weekday % 7 &&
                               static_cast<unsigned>(d.day()) + 7 > days_in(d);
                    });
                    break;
                case 1:
                case 2: {
                    // d#n, d-e#n or d#L.
                    std::set<unsigned> weekdays;
                    std::string days = render(weekday, 0, kWeekdayNames);
                    if (chance(0.3)) {
                        const auto last = static_cast<unsigned>(uniform(0, 7));
                        days += "-" + render(last, 0, kWeekdayNames);
                        if (weekday <= last) {
                            for (unsigned w = weekday; w <= last; ++w) weekdays.insert(w % 7);
                        } else {
                            weekdays = walk(weekday % 7, last % 7, 1, 0, 6);
                        }
                    } else {
                        weekdays = {weekday % 7};
                    }
                    const unsigned n = static_cast<unsigned>(uniform(1, 6));  // 6 means L
                    text += days + "#" + (n == 6 ? "L" : std::to_string(n));
                    rules.push_back([weekdays, n](date::year_month_day d) {
                        if (!weekdays.contains(weekday_of(d))) return false;
                        return n == 6 ? static_cast<unsigned>(d.day()) + 7 > days_in(d)
                                      : weekday_count_so_far(d) == n;
                    });
                    break;
                }
                default: {
                    std::set<unsigned> weekdays;
                    text += item(0, 7, kWeekdayNames, weekdays);
                    rules.push_back([weekdays](date::year_month_day d) {
                        return weekdays.contains(weekday_of(d));
                    });
                }
            }
        }
        cron.day_of_week_restricted = text.front() != '*';
        cron.day_of_week = [rules](date::year_month_day d) {
            return std::ranges::any_of(rules, [&](const DayRule& rule) { return rule(d); });
        };
        return text;
    }

    std::mt19937_64& rng_;
};

}  // namespace tasksrun::test

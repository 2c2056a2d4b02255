// UTC periods and RFC 3339 with std::chrono's calendar types (C++20): no time zone database, no
// locale, no gmtime_r, so the same code runs in the loader and on the hot path.
#include "config/budget_period.hpp"

#include <charconv>
#include <cstdio>

namespace switchyard::config {

namespace {

using namespace std::chrono;

// Reads exactly `n` digits at `pos`; -1 when they are not all digits.
int digits(std::string_view s, std::size_t pos, std::size_t n) noexcept {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::string_view to_string(budget_period p) noexcept {
  switch (p) {
    case budget_period::daily:
      return "daily";
    case budget_period::weekly:
      return "weekly";
    case budget_period::monthly:
      return "monthly";
    case budget_period::total:
      return "total";
  }
  return "total";
}

std::optional<budget_period> parse_budget_period(std::string_view s) noexcept {
  for (auto p :
       {budget_period::daily, budget_period::weekly, budget_period::monthly, budget_period::total})
    if (s == to_string(p)) return p;
  return std::nullopt;
}

wall_time period_start(budget_period p, wall_time t) noexcept {
  const sys_days day = floor<days>(t);
  switch (p) {
    case budget_period::daily:
      return day;
    case budget_period::weekly:
      // weekday::iso_encoding(): Monday = 1 … Sunday = 7.
      return day - days{weekday{day}.iso_encoding() - 1};
    case budget_period::monthly: {
      const year_month_day ymd{day};
      return sys_days{ymd.year() / ymd.month() / 1};
    }
    case budget_period::total:
      return wall_time{};
  }
  return wall_time{};
}

wall_time period_end(budget_period p, wall_time t) noexcept {
  const wall_time start = period_start(p, t);
  switch (p) {
    case budget_period::daily:
      return start + days{1};
    case budget_period::weekly:
      return start + days{7};
    case budget_period::monthly: {
      const year_month_day ymd{floor<days>(start)};
      return sys_days{(ymd.year() / ymd.month() / 1) + months{1}};
    }
    case budget_period::total:
      return wall_time::max();
  }
  return wall_time::max();
}

std::optional<wall_time> parse_rfc3339_utc(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS is 19 characters, then an optional fraction, then Z.
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 1970 || mo < 1 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
    return std::nullopt;
  std::size_t pos = 19;
  if (s[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == first || pos - first > 9) return std::nullopt;
  }
  if (pos + 1 != s.size() || (s[pos] != 'Z' && s[pos] != 'z')) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec};
}

std::string format_rfc3339_utc(wall_time t) {
  const sys_days day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> tod{floor<seconds>(t - day)};
  char buf[32];
  std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lldZ", int{ymd.year()},
      unsigned{ymd.month()}, unsigned{ymd.day()}, static_cast<long long>(tod.hours().count()),
      static_cast<long long>(tod.minutes().count()), static_cast<long long>(tod.seconds().count()));
  return buf;
}

}  // namespace switchyard::config

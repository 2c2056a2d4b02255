// Admin times over the config's RFC 3339 functions (see time_text.hpp).
#include "runtime/time_text.hpp"

#include <chrono>

#include "config/budget_period.hpp"

namespace switchyard::runtime {

namespace {
constexpr std::int64_t day_ms = 86'400'000;
constexpr std::size_t date_length = 10;  // YYYY-MM-DD
}  // namespace

std::optional<std::int64_t> parse_time_ms(std::string_view text, bool date_is_end) {
  const bool date_only = text.size() == date_length;
  auto t = date_only ? config::parse_rfc3339_utc(std::string{text} + "T00:00:00Z")
                     : config::parse_rfc3339_utc(text);
  if (!t) return std::nullopt;
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t->time_since_epoch()).count();
  return date_only && date_is_end ? ms + day_ms : ms;
}

std::string format_time_ms(std::int64_t ms) {
  return config::format_rfc3339_utc(
      std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}});
}

}  // namespace switchyard::runtime

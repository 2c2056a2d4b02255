// UTC times as the admin API and the CLI read and write them: RFC 3339 timestamps (the config's
// parser, config/budget_period.hpp) and, for report windows, plain ISO dates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::runtime {

/// Milliseconds since the Unix epoch of `text`: an RFC 3339 UTC timestamp
/// (`2026-11-24T06:00:00Z`, fractional seconds allowed) or an ISO date (`2026-11-24`, meaning its
/// midnight UTC; with `date_is_end` the next midnight, so that a date used as an upper bound
/// includes its whole day). nullopt for anything else, including impossible dates.
std::optional<std::int64_t> parse_time_ms(std::string_view text, bool date_is_end = false);

/// `2026-11-24T06:00:00Z` (whole seconds, rounded down).
std::string format_time_ms(std::int64_t ms);

}  // namespace switchyard::runtime

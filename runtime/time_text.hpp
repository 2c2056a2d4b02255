// UTC times as text: RFC 3339 timestamps and ISO dates, for the admin API and the CLI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::runtime {

/// Milliseconds since the Unix epoch of `text`: an RFC 3339 timestamp
/// (`2026-11-24T06:00:00Z`, fractional seconds and a `±HH:MM` offset allowed) or an ISO date
/// (`2026-11-24`, meaning its midnight UTC; with `date_is_end` the next midnight, so that a date
/// used as an upper bound includes its whole day). nullopt for anything else, including impossible
/// dates (February 30th) and years outside 1970–9999.
std::optional<std::int64_t> parse_time_ms(std::string_view text, bool date_is_end = false);

/// `2026-11-24T06:00:00.123Z` (milliseconds only when not zero).
std::string format_time_ms(std::int64_t ms);

}  // namespace switchyard::runtime

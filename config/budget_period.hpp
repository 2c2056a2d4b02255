// UTC calendar arithmetic for budgets: where a period starts and ends, and RFC 3339 timestamps
// (key expiry in the config, `reset_at` in GET /v1/key). Pure functions of a wall-clock time.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"

namespace switchyard::config {

using wall_time = std::chrono::system_clock::time_point;

/// The YAML spelling of `p`: "daily", "weekly", "monthly" or "total".
std::string_view to_string(budget_period p) noexcept;

/// Parses a period's YAML spelling; nullopt for anything else.
std::optional<budget_period> parse_budget_period(std::string_view s) noexcept;

/// Start of the period holding `t`, at a UTC boundary: midnight (daily), Monday midnight (weekly,
/// ISO weeks), the 1st at midnight (monthly); the epoch for `total`, which never resets.
wall_time period_start(budget_period p, wall_time t) noexcept;

/// Start of the next period after the one holding `t`; `wall_time::max()` for `total`.
wall_time period_end(budget_period p, wall_time t) noexcept;

/// Parses an RFC 3339 UTC timestamp: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (a `t` and a lowercase `z`
/// are accepted, as RFC 3339 allows; offsets other than Z are not). Nullopt when malformed or out
/// of range (years 1970–9999, real calendar dates, seconds up to 59).
std::optional<wall_time> parse_rfc3339_utc(std::string_view s) noexcept;

/// `t` as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds, rounded down).
std::string format_rfc3339_utc(wall_time t);

}  // namespace switchyard::config

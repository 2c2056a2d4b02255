// API keys at rest: only a SHA-256 digest and a short visible prefix are ever kept.
#pragma once

#include <string>
#include <string_view>

namespace switchyard::config {

/// Lowercase hex SHA-256 of `key`.
std::string sha256_hex(std::string_view key);

/// A short prefix safe to show and log ("sk-dev-l…"): at most 8 characters of the key.
std::string visible_prefix(std::string_view key);

/// Constant-time equality of two equal-length strings (false, in constant time for the length of
/// `a`, when lengths differ).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace switchyard::config

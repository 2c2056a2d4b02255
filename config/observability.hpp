// Parsing of the observability keys of `server:` (`access_log`, `log_level`). Pure string work;
// the loader turns an error into a located config error.
#pragma once

#include <string>
#include <string_view>

#include "config/config.hpp"
#include "protocols/result.hpp"

namespace switchyard::config {

/// Longest accepted access-log file path.
inline constexpr std::size_t max_access_log_path = 4096;

/// `stderr`, `stdout`, `off` or a file path (absolute or relative to the working directory; no
/// control characters). The error says what is expected.
protocols::result<observability_config, std::string> parse_access_log(std::string_view text,
                                                                      observability_config base);

/// `debug`, `info`, `warning` or `error`.
protocols::result<log_level, std::string> parse_log_level(std::string_view text);

/// The spelling of `level` ("debug", "info", "warning", "error").
std::string_view to_string(log_level level) noexcept;

}  // namespace switchyard::config

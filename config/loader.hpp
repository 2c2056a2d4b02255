// YAML → validated snapshot: `${VAR}` / `${VAR:-default}` substitution, and errors that name the
// file, line and key at fault.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "protocols/result.hpp"

namespace switchyard::config {

/// A configuration error: where, which key, and what is wrong.
struct config_error {
  std::string file;
  int line = 0;          ///< 1-based; 0 when unknown
  int column = 0;        ///< 1-based; 0 when unknown
  std::string key;       ///< dotted path, e.g. "providers[1].max_in_flight"
  std::string message;   ///< what is wrong and what is expected
  /// "file:line:column: key: message"
  std::string to_string() const;
};

/// Looks up an environment variable; nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

/// The process environment.
env_lookup process_env();

/// Loads and validates the YAML file at `path`.
protocols::result<snapshot_ptr, config_error> load_file(const std::string& path,
                                                        const env_lookup& env = process_env());

/// Loads and validates YAML `text`; `file` only names it in errors.
protocols::result<snapshot_ptr, config_error> load_string(std::string_view text, const std::string& file,
                                                          const env_lookup& env = process_env());

}  // namespace switchyard::config

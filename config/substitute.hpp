// `${VAR}` / `${VAR:-default}` substitution in one configuration string. The loader applies it to
// every scalar value and decides what an unset variable means for the key at hand.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "protocols/result.hpp"

namespace switchyard::config {

/// The outcome of substituting one string.
struct substitution {
  std::string text;                  ///< the string with every reference replaced
  std::vector<std::string> unset;    ///< `${VAR}` references (no default) whose variable is unset; replaced by ""
  std::vector<std::string> empty;    ///< `${VAR}` references (no default) whose variable is set to ""
  bool referenced = false;           ///< true when the string referenced at least one variable
};

/// Replaces `${VAR}` by the variable's value and `${VAR:-default}` by the value, or by `default`
/// when the variable is unset or empty (as in POSIX sh); `$${` stands for a literal `${`. A `$`
/// anywhere else is kept as is. Names are `[A-Za-z_][A-Za-z0-9_]*`; defaults are literal text
/// up to the first `}`. Fails, with a message that never quotes the rest of the string (it may be
/// a secret), on an unterminated reference, an empty or invalid name, or an unknown operator.
protocols::result<substitution, std::string> substitute(std::string_view in, const env_lookup& env);

}  // namespace switchyard::config

// Percent-decoding of URL path segments and query values (RFC 3986 `%XX`).
#pragma once

#include <string>
#include <string_view>

namespace switchyard::protocols {

/// `s` with every valid `%XX` escape decoded; a malformed escape is kept as sent, and `+` stays
/// a plus (it means a space only in HTML forms).
std::string percent_decode(std::string_view s);

}  // namespace switchyard::protocols

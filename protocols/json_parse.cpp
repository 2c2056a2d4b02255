// Internal: exact conversion of JSON number literals (see json_parse.hpp).
#include "protocols/json_parse.hpp"

#include <charconv>
#include <limits>
#include <system_error>

namespace switchyard::protocols::detail {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

// The decimal order of magnitude of a nonzero literal (about log10 of its value), used only to
// tell an overflow from an underflow; nullopt-like LONG_MIN when every digit is zero.
long decimal_order(std::string_view lit) noexcept {
  std::size_t i = lit.empty() || lit[0] != '-' ? 0 : 1;
  long order = std::numeric_limits<long>::min();
  long int_digits = 0;
  for (; i < lit.size() && is_digit(lit[i]); ++i) {
    if (order == std::numeric_limits<long>::min() && lit[i] != '0') order = 0;
    if (order != std::numeric_limits<long>::min()) ++int_digits;
  }
  if (order != std::numeric_limits<long>::min()) order = int_digits - 1;
  if (i < lit.size() && lit[i] == '.') {
    long position = 0;
    for (++i; i < lit.size() && is_digit(lit[i]); ++i) {
      ++position;
      if (order == std::numeric_limits<long>::min() && lit[i] != '0') order = -position;
    }
  }
  if (order == std::numeric_limits<long>::min()) return order;
  if (i < lit.size() && (lit[i] == 'e' || lit[i] == 'E')) {
    ++i;
    const bool negative = i < lit.size() && lit[i] == '-';
    if (i < lit.size() && (lit[i] == '-' || lit[i] == '+')) ++i;
    long exponent = 0;
    for (; i < lit.size() && is_digit(lit[i]); ++i) {
      if (exponent < 1'000'000) exponent = exponent * 10 + (lit[i] - '0');
    }
    order += negative ? -exponent : exponent;
  }
  return order;
}

}  // namespace

number_value convert_number(std::string_view lit) noexcept {
  number_value v;
  const char* begin = lit.data();
  const char* end = begin + lit.size();
  const bool integral = lit.find_first_of(".eE") == std::string_view::npos;
  if (integral) {
    if (!lit.empty() && lit[0] == '-') {
      const auto r = std::from_chars(begin, end, v.i);
      if (r.ec == std::errc() && r.ptr == end) {
        v.type = number_value::kind::int64;
        return v;
      }
    } else {
      const auto r = std::from_chars(begin, end, v.u);
      if (r.ec == std::errc() && r.ptr == end) {
        v.type = number_value::kind::uint64;
        return v;
      }
    }
  }
  v.type = number_value::kind::real;
  const auto r = std::from_chars(begin, end, v.d);
  if (r.ec == std::errc::result_out_of_range) {
    const bool negative = !lit.empty() && lit[0] == '-';
    if (decimal_order(lit) < 0) {
      v.d = negative ? -0.0 : 0.0;  // below the smallest double: RapidJSON also reads zero
    } else {
      v.type = number_value::kind::out_of_range;
    }
  } else if (r.ec != std::errc()) {
    v.type =
        number_value::kind::out_of_range;  // not a number at all: cannot happen after the reader
  }
  return v;
}

}  // namespace switchyard::protocols::detail

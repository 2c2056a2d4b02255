// Record-id generation (see record_id.hpp).
#include "actors/record_id.hpp"

#include <charconv>
#include <cstdint>
#include <random>

namespace switchyard::actors {

std::string new_record_id() {
  thread_local std::mt19937_64 bits = [] {
    std::random_device os;
    std::seed_seq seed{os(), os(), os(), os(), os(), os(), os(), os()};
    return std::mt19937_64{seed};
  }();
  std::string id(32, '0');
  // Each half is one 64-bit draw, right-aligned in its 16 digits (leading zeros stay '0').
  for (std::size_t half = 0; half < 2; ++half) {
    char digits[16];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, bits(), 16);
    (void)ec;  // 16 hex digits always fit a 64-bit value
    const auto n = static_cast<std::size_t>(end - digits);
    id.replace(half * 16 + (16 - n), n, digits, n);
  }
  return id;
}

}  // namespace switchyard::actors

// Request-id validation and generation; ids only need to be unique, not secret, so a per-thread
// PRNG seeded once from the OS is enough and keeps generation lock-free.
#include "runtime/request_id.hpp"

#include <cstdint>
#include <random>

namespace switchyard::runtime {

namespace {

bool id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::mt19937_64& thread_prng() {
  thread_local std::mt19937_64 prng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64{seq};
  }();
  return prng;
}

}  // namespace

bool is_valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_request_id_length) return false;
  for (char c : id)
    if (!id_char(c)) return false;
  return true;
}

std::string generate_request_id() {
  static constexpr char hex[] = "0123456789abcdef";
  auto& prng = thread_prng();
  std::uint64_t words[2] = {prng(), prng()};
  std::string out(32, '0');
  for (std::size_t i = 0; i < 32; ++i) {
    auto word = words[i / 16];
    out[i] = hex[(word >> (60 - 4 * (i % 16))) & 0xF];
  }
  return out;
}

std::string accept_or_generate_request_id(std::string_view client_value) {
  if (is_valid_request_id(client_value)) return std::string{client_value};
  return generate_request_id();
}

}  // namespace switchyard::runtime

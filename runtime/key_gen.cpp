// Key generation (see key_gen.hpp). Base62 characters come from random bytes by rejection
// sampling, so every character is uniformly distributed (a plain `% 62` would favour some).
#include "runtime/key_gen.hpp"

#include <openssl/rand.h>

#include <array>

namespace switchyard::runtime {

namespace {

constexpr std::string_view base62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t key_chars = 40;
constexpr std::size_t prefix_random_chars = 6;

}  // namespace

std::optional<std::string> generate_api_key() {
  std::string key{generated_key_tag};
  std::array<unsigned char, 64> bytes{};
  while (key.size() < generated_key_tag.size() + key_chars) {
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
    for (unsigned char b : bytes) {
      // 248 = 4 × 62: bytes at or above it would skew the distribution.
      if (b >= 248) continue;
      key.push_back(base62[b % 62]);
      if (key.size() == generated_key_tag.size() + key_chars) break;
    }
  }
  return key;
}

std::optional<std::string> generate_key_id() {
  std::array<unsigned char, 8> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  std::string id = "key_";
  for (unsigned char b : bytes) {
    id.push_back(hex[b >> 4]);
    id.push_back(hex[b & 0x0f]);
  }
  return id;
}

std::string generated_key_prefix(std::string_view key) {
  std::string out{key.substr(0, generated_key_tag.size() + prefix_random_chars)};
  out += "\xE2\x80\xA6";  // "…"
  return out;
}

}  // namespace switchyard::runtime

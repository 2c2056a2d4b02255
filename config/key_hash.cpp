// API key digests: SHA-256 through OpenSSL's EVP interface, a log-safe prefix, and a comparison
// whose timing does not depend on where two digests first differ.
#include "config/key_hash.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdlib>

namespace switchyard::config {

std::string sha256_hex(std::string_view key) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_len = 0;
  // EVP_Digest only fails on allocation failure or a missing provider; both leave OpenSSL (and
  // therefore TLS) unusable, so there is nothing sensible to do but stop.
  if (EVP_Digest(key.data(), key.size(), digest.data(), &digest_len, EVP_sha256(), nullptr) != 1
      || digest_len != 32)
    std::abort();
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * digest_len);
  for (unsigned int i = 0; i < digest_len; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

std::string visible_prefix(std::string_view key) {
  // Long keys show 8 characters; short ones at most half, so a prefix never gives a key away.
  std::size_t n = key.size() > 8 ? 8 : key.size() / 2;
  // Never cut a UTF-8 sequence in half: back off to the start of the character.
  while (n > 0 && n < key.size() && (static_cast<unsigned char>(key[n]) & 0xC0) == 0x80)
    --n;
  std::string out(key.substr(0, n));
  out += "\xE2\x80\xA6";  // "…"
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    // Still touch every byte of `a` so the time depends only on its length.
    (void)CRYPTO_memcmp(a.data(), a.data(), a.size());
    return false;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace switchyard::config

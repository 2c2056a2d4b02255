// Key extraction and lookup. The map is keyed by digest, so its (non-constant-time) probing only
// ever compares digests of the presented key, never the key itself; the final check is constant
// time.
#include "runtime/auth.hpp"

#include <cctype>

#include "config/key_hash.hpp"

namespace switchyard::runtime {

namespace {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// The token of `Bearer <token>`, or empty for any other scheme.
std::string_view bearer_token(std::string_view authorization) noexcept {
  authorization = trim(authorization);
  auto space = authorization.find_first_of(" \t");
  if (space == std::string_view::npos || !iequals(authorization.substr(0, space), "bearer"))
    return {};
  return trim(authorization.substr(space + 1));
}

protocols::error_info missing_key_error() {
  return protocols::make_error(
      protocols::gateway_error::unauthorized,
      "You didn't provide an API key. Pass your key in an Authorization header using Bearer auth "
      "(Authorization: Bearer YOUR_KEY) or in an x-api-key header.");
}

protocols::error_info unknown_key_error() {
  return protocols::make_error(
      protocols::gateway_error::unauthorized,
      "Incorrect API key provided. Check the key you are using, or ask your gateway administrator "
      "for a valid one.");
}

}  // namespace

std::string_view presented_key(std::string_view authorization,
                               std::string_view x_api_key) noexcept {
  if (auto token = bearer_token(authorization); !token.empty()) return token;
  return trim(x_api_key);
}

key_table::key_table(config::snapshot_ptr config) : config_(std::move(config)) {
  if (!config_) return;
  for (const auto& tenant : config_->tenants) {
    for (const auto& key : tenant.keys) {
      // The loader rejects duplicate keys; should one slip through, the first tenant keeps it.
      by_digest_.try_emplace(key.hash, entry{&tenant, key.hash, key.prefix});
    }
  }
}

protocols::result<principal, protocols::error_info> key_table::authenticate(
    std::string_view key) const {
  if (key.empty()) return missing_key_error();
  auto digest = config::sha256_hex(key);
  auto it = by_digest_.find(digest);
  if (it == by_digest_.end() || !config::constant_time_equal(digest, it->second.digest))
    return unknown_key_error();
  return principal{it->second.tenant, it->second.prefix, it->second.digest.substr(0, 16)};
}

protocols::result<principal, protocols::error_info> key_table::authenticate(
    std::string_view authorization, std::string_view x_api_key) const {
  return authenticate(presented_key(authorization, x_api_key));
}

}  // namespace switchyard::runtime

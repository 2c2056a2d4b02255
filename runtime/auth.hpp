// API-key authentication against an immutable snapshot of the configured keys: the presented key
// is hashed (SHA-256) and its digest looked up; no actor hop, no plaintext key kept anywhere.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "config/config.hpp"
#include "protocols/error.hpp"
#include "protocols/result.hpp"

namespace switchyard::runtime {

/// Who a request acts for.
struct principal {
  const config::tenant_config* tenant = nullptr;  ///< lives in the snapshot
  std::string key_prefix;                         ///< the key's visible prefix, safe to log
  /// Identifies the key without revealing it: the first 16 hex digits of its SHA-256 digest.
  std::string key_id;
};

/// The key a client presented: `Authorization: Bearer <key>` (scheme case-insensitive), else
/// `x-api-key: <key>`. Empty when neither carries a non-empty key.
std::string_view presented_key(std::string_view authorization, std::string_view x_api_key) noexcept;

/// Digest → tenant, built once from a snapshot; immutable and shared by every session.
class key_table {
 public:
  /// Indexes every tenant key of `config` (which the table keeps alive).
  explicit key_table(config::snapshot_ptr config);

  /// The tenant that owns `key`, or an `unauthorized` error: a message saying how to pass a key
  /// when `key` is empty, "Incorrect API key provided…" when it is unknown (never echoing it).
  protocols::result<principal, protocols::error_info> authenticate(std::string_view key) const;

  /// Convenience: `authenticate(presented_key(authorization, x_api_key))`.
  protocols::result<principal, protocols::error_info> authenticate(
      std::string_view authorization, std::string_view x_api_key) const;

  /// Number of keys indexed.
  std::size_t size() const noexcept { return by_digest_.size(); }

 private:
  struct entry {
    const config::tenant_config* tenant;
    std::string digest;
    std::string prefix;
  };
  config::snapshot_ptr config_;
  std::unordered_map<std::string, entry> by_digest_;
};

}  // namespace switchyard::runtime

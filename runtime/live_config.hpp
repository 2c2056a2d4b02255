// The configuration the ingress serves with right now: the config file's snapshot merged with the
// tenants and keys of the admin store, and the key table over it. Published as one immutable
// object through an atomic shared_ptr: a session reads it once per request, so a request keeps
// the tenant it authenticated against even if an admin change or a reload lands meanwhile, and
// the next request sees the change.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "runtime/admin_store.hpp"
#include "runtime/auth.hpp"

namespace switchyard::runtime {

/// One published state.
struct live_state {
  explicit live_state(config::snapshot_ptr effective)
      : config(std::move(effective)), keys(config) {}
  config::snapshot_ptr config;  ///< file + store
  key_table keys;               ///< over `config`
};

/// The admin store's tenants and keys, as read for a merge.
struct store_contents {
  std::vector<stored_tenant> tenants;
  std::vector<stored_key> keys;
};

/// The effective snapshot: a copy of `file` whose tenants are the file's, then the stored ones
/// (a stored tenant named like a file tenant is shadowed by the file's); every key of `store`
/// that is not revoked joins its tenant (a key whose tenant no longer exists is skipped).
/// What was skipped is added to `warnings`.
config::snapshot_ptr merge_store(const config::snapshot& file, const store_contents& store,
                                 std::vector<std::string>& warnings);

/// Reads the store and merges it into `file`. Null with `error` when the store cannot be read.
config::snapshot_ptr merge_from(const config::snapshot& file, admin_store& store,
                                std::vector<std::string>& warnings, std::string& error);

/// The atomically published `live_state`.
class live_config {
 public:
  explicit live_config(config::snapshot_ptr effective)
      : current_(std::make_shared<const live_state>(std::move(effective))) {}

  /// The state now. Any thread.
  std::shared_ptr<const live_state> current() const {
    return current_.load(std::memory_order_acquire);
  }
  /// Replaces the state. Any thread; requests already authenticated keep the old one.
  void publish(config::snapshot_ptr effective) {
    current_.store(std::make_shared<const live_state>(std::move(effective)),
                   std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const live_state>> current_;
};

}  // namespace switchyard::runtime

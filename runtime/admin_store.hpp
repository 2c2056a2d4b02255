// The admin store: tenants and keys created at run time, and the audit log of every admin change,
// in the same database as the usage records (`storage:`, SQLite or PostgreSQL). A thin SQL layer:
// the admin API (admin_api.hpp) decides what a change means and wraps each one in a
// `transaction`, so that a rejected or failed change leaves nothing behind. One store per thread
// (the admin worker, or the offline CLI).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::runtime {

/// A tenant created through the admin API. `spec` is its settings as JSON (admin_spec.hpp).
struct stored_tenant {
  std::string name;
  std::string spec;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/// A key created through the admin API. Only its digest and visible prefix are kept.
struct stored_key {
  std::string id;      ///< "key_" + 16 hex digits, public
  std::string tenant;  ///< a config-file or stored tenant
  std::string name;    ///< label for people, may be empty
  std::string prefix;  ///< visible prefix, e.g. "sk-sy-AbC4…"
  std::string hash;    ///< lowercase hex SHA-256 of the key
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> expires_at_ms;  ///< unset = never
  std::optional<std::int64_t> revoked_at_ms;  ///< unset = active
  std::string spec = "{}";  ///< its own settings as JSON (admin_spec.hpp), on top of the tenant's
};

/// One admin change. `before`/`after` are JSON summaries that never hold a secret.
struct audit_entry {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string actor;   ///< the admin key's visible prefix, or "cli"
  std::string action;  ///< e.g. "tenant.create", "key.revoke"
  std::string target;  ///< tenant name or key id
  std::string before;  ///< "null" when the object did not exist
  std::string after;   ///< "null" when the object no longer exists
};

/// What `usage_totals` groups by.
enum class usage_group : std::uint8_t { tenant, key, model, provider, day };

/// One group of usage records.
struct usage_total {
  std::string group;       ///< tenant, key id, model, provider or YYYY-MM-DD
  std::string key_prefix;  ///< group by key only: the key's visible prefix
  std::uint64_t requests = 0;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
  std::uint64_t cached_tokens = 0;
  double cost_usd = 0;
};

/// The admin store's interface: SQLite (sqlite_admin_store.hpp) or PostgreSQL
/// (pg_admin_store.hpp), chosen by `storage:` (storage_open.hpp).
class admin_store {
 public:
  /// Opens the SQLite store at `path` (see sqlite_admin_store.hpp). Empty `error` on success;
  /// the error is log-safe.
  static std::unique_ptr<admin_store> open(const std::string& path, std::string& error);
  virtual ~admin_store() = default;
  admin_store() = default;
  admin_store(const admin_store&) = delete;
  admin_store& operator=(const admin_store&) = delete;

  /// Holds a write transaction; rolls back unless `commit` succeeded.
  class transaction {
   public:
    explicit transaction(admin_store& store);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    /// False (with the reason) when the transaction could not start.
    bool started(std::string& error) const;
    bool commit(std::string& error);

   private:
    admin_store& store_;
    std::string begin_error_;
    bool open_ = false;
  };

  // Every call below returns false with a log-safe `error` when the database fails.

  virtual bool tenants(std::vector<stored_tenant>& out, std::string& error) = 0;
  virtual bool find_tenant(const std::string& name, std::optional<stored_tenant>& out,
                           std::string& error) = 0;
  virtual bool insert_tenant(const stored_tenant& t, std::string& error) = 0;
  virtual bool update_tenant(const std::string& name, const std::string& spec, std::int64_t now_ms,
                             std::string& error) = 0;
  virtual bool delete_tenant(const std::string& name, std::string& error) = 0;

  /// Keys of `tenant`, or every key when it is empty; oldest first.
  virtual bool keys(const std::string& tenant, std::vector<stored_key>& out,
                    std::string& error) = 0;
  virtual bool find_key(const std::string& id, std::optional<stored_key>& out,
                        std::string& error) = 0;
  virtual bool insert_key(const stored_key& k, std::string& error) = 0;
  /// Revokes `id` at `now_ms` (no-op for a key already revoked).
  virtual bool revoke_key(const std::string& id, std::int64_t now_ms, std::string& error) = 0;
  /// Revokes every active key of `tenant`.
  virtual bool revoke_tenant_keys(const std::string& tenant, std::int64_t now_ms,
                                  std::string& error) = 0;
  /// Sets (or clears, with nullopt) the expiry of `id`.
  virtual bool set_key_expiry(const std::string& id, std::optional<std::int64_t> at_ms,
                              std::string& error) = 0;

  virtual bool append_audit(const audit_entry& e, std::string& error) = 0;
  /// The newest `limit` entries with an id below `before_id` (0 = from the newest), newest first.
  virtual bool audit(std::int64_t before_id, std::size_t limit, std::vector<audit_entry>& out,
                     std::string& error) = 0;

  /// Usage records finished in [from_ms, to_ms), grouped, ordered by group. Reads the `usage`
  /// table the usage store creates (an absent table reads as no records).
  virtual bool usage_totals(std::int64_t from_ms, std::int64_t to_ms, usage_group by,
                            std::vector<usage_total>& out, std::string& error) = 0;
  /// The cost of `tenant`'s usage records (of key `key_id` only, unless empty) finished at or
  /// after `since_ms`, in `out` (0 without a `usage` table). Seeds budgets added at run time.
  virtual bool spend_since(const std::string& tenant, const std::string& key_id,
                           std::int64_t since_ms, double& out, std::string& error) = 0;

 protected:
  /// Starts, commits and abandons the write transaction `transaction` holds.
  virtual bool begin_transaction(std::string& error) = 0;
  virtual bool commit_transaction(std::string& error) = 0;
  virtual void rollback_transaction() = 0;
};

}  // namespace switchyard::runtime

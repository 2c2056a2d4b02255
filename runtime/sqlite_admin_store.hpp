// The embedded admin store: the admin tables in the SQLite file of the usage records. SQLite's
// busy timeout arbitrates with the usage writer's connection.
#pragma once

#include <memory>
#include <string>

#include "runtime/admin_store.hpp"

struct sqlite3;

namespace switchyard::runtime {

class sqlite_admin_store final : public admin_store {
 public:
  /// Current schema version (PRAGMA user_version once migrated).
  static constexpr int schema_version = 1;

  /// Opens the database at `path` (created with its directory when missing) and creates or
  /// migrates the admin tables. Empty `error` on success; the error is log-safe.
  static std::unique_ptr<sqlite_admin_store> open(const std::string& path, std::string& error);
  ~sqlite_admin_store() override;

  bool tenants(std::vector<stored_tenant>& out, std::string& error) override;
  bool find_tenant(const std::string& name, std::optional<stored_tenant>& out,
                   std::string& error) override;
  bool insert_tenant(const stored_tenant& t, std::string& error) override;
  bool update_tenant(const std::string& name, const std::string& spec, std::int64_t now_ms,
                     std::string& error) override;
  bool delete_tenant(const std::string& name, std::string& error) override;
  bool keys(const std::string& tenant, std::vector<stored_key>& out, std::string& error) override;
  bool find_key(const std::string& id, std::optional<stored_key>& out, std::string& error) override;
  bool insert_key(const stored_key& k, std::string& error) override;
  bool revoke_key(const std::string& id, std::int64_t now_ms, std::string& error) override;
  bool revoke_tenant_keys(const std::string& tenant, std::int64_t now_ms,
                          std::string& error) override;
  bool set_key_expiry(const std::string& id, std::optional<std::int64_t> at_ms,
                      std::string& error) override;
  bool append_audit(const audit_entry& e, std::string& error) override;
  bool audit(std::int64_t before_id, std::size_t limit, std::vector<audit_entry>& out,
             std::string& error) override;
  bool usage_totals(std::int64_t from_ms, std::int64_t to_ms, usage_group by,
                    std::vector<usage_total>& out, std::string& error) override;
  bool spend_since(const std::string& tenant, const std::string& key_id, std::int64_t since_ms,
                   double& out, std::string& error) override;

 protected:
  bool begin_transaction(std::string& error) override;
  bool commit_transaction(std::string& error) override;
  void rollback_transaction() override;

 private:
  explicit sqlite_admin_store(sqlite3* db) : db_(db) {}
  bool exec(const char* sql, std::string& error);
  sqlite3* db_;
};

}  // namespace switchyard::runtime

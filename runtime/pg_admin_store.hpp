// The cluster admin store: tenants, keys (digest and visible prefix only) and the audit log in
// PostgreSQL, next to the usage records. Every committed change also sends
// `NOTIFY switchyard_admin` inside its transaction, so each node's listener (pg_listener.hpp)
// hears of it exactly when it becomes visible, and re-reads the store.
#pragma once

#include <memory>
#include <string>

#include "runtime/admin_store.hpp"
#include "runtime/pg_connection.hpp"

namespace switchyard::runtime {

/// The channel admin changes are announced on.
inline constexpr const char* admin_channel = "switchyard_admin";

class pg_admin_store final : public admin_store {
 public:
  /// Connects to `url` and brings the schema up to date. `origin` is the notification payload
  /// (the node's id, or "cli"): a node ignores its own announcements. Null with a log-safe
  /// `error`.
  static std::unique_ptr<pg_admin_store> open(const std::string& url, std::string origin,
                                              std::string& error);

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
  /// Announces the change (NOTIFY, delivered at COMMIT), then commits.
  bool commit_transaction(std::string& error) override;
  void rollback_transaction() override;

 private:
  pg_admin_store(std::unique_ptr<pg_connection> conn, std::string origin)
      : conn_(std::move(conn)), origin_(std::move(origin)) {}
  std::unique_ptr<pg_connection> conn_;
  std::string origin_;
};

}  // namespace switchyard::runtime

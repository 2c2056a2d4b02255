// The admin API proper: `/admin/tenants`, `/admin/keys`, `/admin/usage` and `/admin/audit` over
// the admin store, as a function from request to response (no sockets), shared by the HTTP front
// (admin_http.hpp), which runs it on the admin worker's thread, and by the offline CLI.
//
// Every change is one SQLite transaction together with its audit row: a rejected or failed change
// leaves nothing behind. After a change the effective configuration (config file + store) is
// rebuilt and published to the live config, so the next request authenticates against it.
//
// Merge rule: tenants defined in the config file are read-only here (PATCH and DELETE answer 409,
// and a new tenant may not take their name); keys may be created for any tenant, file or stored.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config/config.hpp"
#include "runtime/admin_store.hpp"
#include "runtime/live_config.hpp"

namespace switchyard::runtime {

/// One admin call.
struct admin_request {
  std::string method;       ///< "GET", "POST", "PATCH", "DELETE"
  std::string target;       ///< path and query, e.g. "/admin/keys?tenant=acme"
  std::string body;         ///< JSON, may be empty
  bool accept_csv = false;  ///< the client sent `Accept: text/csv`
  std::string actor;        ///< who acts, for the audit log (never a secret)
};

/// Its answer.
struct admin_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  ///< the `Allow` header of a 405
};

/// Largest admin request body; larger ones answer 413.
inline constexpr std::size_t max_admin_body_bytes = 64 * 1024;

class admin_api {
 public:
  /// Milliseconds since the Unix epoch.
  using clock_fn = std::function<std::int64_t()>;

  /// `live` may be null (the CLI: nothing to publish to). `now` defaults to the system clock.
  admin_api(std::unique_ptr<admin_store> store, config::snapshot_ptr file,
            std::shared_ptr<live_config> live, clock_fn now = nullptr);

  /// Answers one call. Never throws.
  admin_response handle(const admin_request& req);

  /// Replaces the config file's snapshot (hot reload) and publishes the new effective config.
  /// False with `error` when the store cannot be read (then nothing is published).
  bool reload(config::snapshot_ptr file, std::string& error);

  /// Builds the effective config from the current file snapshot and the store, and publishes it.
  bool publish(std::string& error);

  /// Runs before every publish with the new effective snapshot, on the publishing thread (the
  /// admin worker), with the admin store to read usage from: the gateway's budget book follows
  /// it there (see process.cpp), so a new key is limited from its first request.
  using publish_hook = std::function<void(const config::snapshot&, admin_store&)>;
  void on_publish(publish_hook hook) { on_publish_ = std::move(hook); }

  /// The config file's snapshot in use.
  const config::snapshot_ptr& file() const noexcept { return file_; }

 private:
  admin_response dispatch(const admin_request& req);
  admin_response list_tenants();
  admin_response get_tenant(const std::string& name);
  admin_response create_tenant(const admin_request& req);
  admin_response patch_tenant(const std::string& name, const admin_request& req);
  admin_response delete_tenant(const std::string& name, const admin_request& req);
  admin_response create_key(const std::string& tenant, const admin_request& req);
  admin_response list_keys(const std::string& tenant);
  admin_response get_key(const std::string& id);
  admin_response revoke_key(const std::string& id, const admin_request& req);
  admin_response rotate_key(const std::string& id, const admin_request& req);
  admin_response usage(const admin_request& req);
  admin_response audit(const admin_request& req);
  /// Audits `entry`, commits `tx` and publishes; answers `body` with `status`, or 503 (then
  /// nothing was changed).
  admin_response finish_change(admin_store::transaction& tx, const audit_entry& entry,
                               unsigned status, std::string body);
  /// Loads stored tenant `name` into `out`; a 404 naming `param` (or a 503) when it cannot.
  std::optional<admin_response> find_stored_tenant(const std::string& name,
                                                   std::optional<stored_tenant>& out,
                                                   const char* param);
  /// Publishes after a committed change; a failure is logged (the change is stored and applies
  /// at the next successful publish).
  void publish_after_change();

  std::unique_ptr<admin_store> store_;
  config::snapshot_ptr file_;
  std::shared_ptr<live_config> live_;
  clock_fn now_;
  publish_hook on_publish_;
};

}  // namespace switchyard::runtime

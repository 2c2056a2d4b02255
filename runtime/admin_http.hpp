// The admin API over HTTP: who may call it (`server.admin_key` only, compared in constant time on
// the digest), and where it runs: store work on the admin worker, a detached actor with its own
// thread, so a slow disk never stalls an I/O thread; GET /admin/providers from live counters.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/admin_api.hpp"
#include "runtime/auth.hpp"

namespace switchyard::actors {
class gateway;
}

namespace switchyard::runtime {

class http_channel;
class server;

/// The outcome of checking a request's key for /admin/*.
enum class admin_access : std::uint8_t {
  granted,
  disabled,   ///< no `server.admin_key`: the admin API does not exist (404)
  missing,    ///< no key presented (401)
  unknown,    ///< a key that is neither the admin key nor a tenant key (401)
  forbidden,  ///< a tenant's key (403): tenant keys never reach admin routes
};

/// Checks `presented` against `admin_key_hash` (constant time on the digests) and, when it is not
/// the admin key, against `tenant_keys` to tell 403 from 401.
admin_access check_admin_access(const std::string& admin_key_hash, std::string_view presented,
                                const key_table& tenant_keys);

/// Who acts, for the audit log: "admin:" and the first 8 hex digits of the admin key's digest
/// (identifies which admin key without revealing anything usable).
std::string admin_actor(const std::string& admin_key_hash);

/// Authenticates and answers one /admin/* request on `channel`. On the session's strand.
void answer_admin(const std::shared_ptr<http_channel>& channel,
                  const boost::beast::http::request<boost::beast::http::string_body>& req,
                  server& srv);

/// `{"data":[{name, type, enabled, disabled_reason, in_flight, queued, limit, admitted_total,
/// rejected_total, queue_timeouts_total, restarts_total, circuit}]}` for GET /admin/providers.
std::string providers_body(const actors::gateway& gw);

/// Runs the admin API on its worker actor; answers /admin/providers itself.
class admin_frontend {
 public:
  admin_frontend(caf::actor_system& system, std::shared_ptr<admin_api> api,
                 const actors::gateway* gateway);
  ~admin_frontend();
  admin_frontend(const admin_frontend&) = delete;
  admin_frontend& operator=(const admin_frontend&) = delete;

  /// Answers `req`; `done` runs once, on the worker's thread or the caller's.
  void handle(admin_request req, std::function<void(admin_response)> done);

  /// Runs `job` on the worker, serialized with admin calls (hot reload uses it).
  void run(std::function<void(admin_api&)> job);

  /// Stops the worker after the jobs already queued (later ones are dropped). Also done by the
  /// destructor; call it explicitly before waiting for the actor system to wind down, once no
  /// thread calls `handle` or `run` any more (the I/O threads have stopped).
  void stop();

 private:
  caf::actor worker_;
  const actors::gateway* gateway_;
};

}  // namespace switchyard::runtime

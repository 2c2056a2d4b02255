// Admin access control, the admin worker and /admin/providers (see admin_http.hpp).
#include "runtime/admin_http.hpp"

#include <boost/asio/post.hpp>
#include <caf/all.hpp>

#include "actors/gateway.hpp"
#include "actors/routing_table.hpp"
#include "config/key_hash.hpp"
#include "runtime/admin_json.hpp"
#include "runtime/http_channel.hpp"
#include "runtime/routes.hpp"
#include "runtime/server.hpp"

namespace switchyard::runtime {

namespace {

// One unit of admin work for the worker.
struct admin_job {
  std::function<void(admin_api&)> run;
};

}  // namespace
}  // namespace switchyard::runtime

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::runtime::admin_job)

namespace switchyard::runtime {

namespace {

namespace http = boost::beast::http;
using protocols::detail::json_writer;
using protocols::detail::write_string;

// The worker's state comes in as a spawn argument (CAF 0.17 dereferences a null argument tuple
// for a spawned lambda without arguments).
caf::behavior admin_worker(caf::event_based_actor*, std::shared_ptr<admin_api> api) {
  return {[api](const admin_job& job) { job.run(*api); }};
}

void send(http_channel& channel, const admin_response& r) {
  if (!channel.try_commit(actors::response_sink::error_attempt)) return;
  std::vector<header_field> extra;
  if (!r.allow.empty()) extra.push_back({"Allow", r.allow});
  extra.push_back({"Cache-Control", "no-store"});  // keys are shown once; never cache them
  channel.send_full(r.status, r.content_type, r.body, std::move(extra));
}

admin_response access_error(admin_access a) {
  switch (a) {
    case admin_access::disabled:
      return admin_error(404, "not_found_error",
                         "The admin API is off: set server.admin_key in the config to enable it.");
    case admin_access::missing:
      return admin_error(401, "authentication_error",
                         "The admin API needs the admin key: Authorization: Bearer <admin_key> "
                         "or x-api-key.");
    case admin_access::forbidden:
      return admin_error(403, "permission_error",
                         "This is a tenant key; the admin API only accepts server.admin_key.");
    default:
      return admin_error(401, "authentication_error", "Incorrect admin key provided.");
  }
}

bool accepts_csv(std::string_view accept) {
  return accept.find("text/csv") != std::string_view::npos;
}

}  // namespace

admin_access check_admin_access(const std::string& admin_key_hash, std::string_view presented,
                                const key_table& tenant_keys) {
  if (admin_key_hash.empty()) return admin_access::disabled;
  if (presented.empty()) return admin_access::missing;
  if (config::constant_time_equal(config::sha256_hex(presented), admin_key_hash))
    return admin_access::granted;
  return tenant_keys.authenticate(presented).ok() ? admin_access::forbidden : admin_access::unknown;
}

std::string admin_actor(const std::string& admin_key_hash) {
  return "admin:" + admin_key_hash.substr(0, 8);
}

void answer_admin(const std::shared_ptr<http_channel>& channel,
                  const http::request<http::string_body>& req, server& srv) {
  const auto live = srv.live();
  const auto& admin_hash = live->config->server.admin_key_hash;
  const auto& handler = srv.options().admin;
  auto access = check_admin_access(handler ? admin_hash : std::string{},
                                   presented_key(std::string_view{req[http::field::authorization]},
                                                 std::string_view{req["x-api-key"]}),
                                   live->keys);
  if (access != admin_access::granted) {
    send(*channel, access_error(access));
    return;
  }
  admin_request call;
  call.method = std::string{req.method_string()};
  call.target = std::string{req.target()};
  call.body = req.body();
  call.accept_csv = accepts_csv(std::string_view{req[http::field::accept]});
  call.actor = admin_actor(admin_hash);
  handler(std::move(call), [channel](admin_response r) {
    boost::asio::post(channel->executor(), [channel, r = std::move(r)] { send(*channel, r); });
  });
}

namespace {

// `{"state", "ejections_total", "available_in_ms"}`: when the provider takes requests again
// (the end of its ejection or of a Retry-After cooldown), in ms from now; null when it does now.
void write_circuit(json_writer& w, const actors::provider_health& h,
                   actors::clock::time_point now) {
  w.StartObject();
  w.Key("state");
  write_string(w, actors::to_string(h.state()));
  w.Key("ejections_total");
  w.Uint64(h.ejections_total.load(std::memory_order_relaxed));
  w.Key("available_in_ms");
  const auto at = h.available_at();
  if (at > now)
    // Rounded up, so that a provider not yet back never shows 0.
    w.Int64(std::chrono::ceil<std::chrono::milliseconds>(at - now).count());
  else
    w.Null();
  w.EndObject();
}

}  // namespace

std::string providers_body(const actors::gateway& gw) {
  const auto routes = gw.routes();  // the providers routed now and their figures, in one piece
  const auto& providers = routes->config()->providers;
  const auto& stats = routes->stats();
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("data");
  w.StartArray();
  for (std::size_t i = 0; i < providers.size() && i < stats.size(); ++i) {
    const auto& p = providers[i];
    const auto& s = *stats[i];
    w.StartObject();
    w.Key("name");
    write_string(w, p.name);
    w.Key("type");
    write_string(w, config::to_string(p.type));
    w.Key("enabled");
    w.Bool(p.enabled);
    w.Key("disabled_reason");
    if (p.enabled)
      w.Null();
    else
      write_string(w, p.disabled_reason);
    w.Key("in_flight");
    w.Uint(s.in_flight.load(std::memory_order_relaxed));
    w.Key("queued");
    w.Uint(s.queued.load(std::memory_order_relaxed));
    w.Key("limit");
    w.Uint(s.limit.load(std::memory_order_relaxed));
    w.Key("admitted_total");
    w.Uint64(s.admitted_total.load(std::memory_order_relaxed));
    w.Key("rejected_total");
    w.Uint64(s.rejected_total.load(std::memory_order_relaxed));
    w.Key("queue_timeouts_total");
    w.Uint64(s.queue_timeouts_total.load(std::memory_order_relaxed));
    w.Key("restarts_total");
    w.Uint64(s.restarts_total.load(std::memory_order_relaxed));
    w.Key("circuit");
    write_circuit(w, s.health, gw.time().now());
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return protocols::detail::to_string(buf);
}

admin_frontend::admin_frontend(caf::actor_system& system, std::shared_ptr<admin_api> api,
                               const actors::gateway* gateway)
    : worker_(system.spawn<caf::detached>(admin_worker, std::move(api))), gateway_(gateway) {}

admin_frontend::~admin_frontend() {
  stop();
}

void admin_frontend::stop() {
  if (!worker_) return;
  caf::anon_send_exit(worker_, caf::exit_reason::user_shutdown);
  worker_ = nullptr;
}

void admin_frontend::handle(admin_request req, std::function<void(admin_response)> done) {
  if (target_path(req.target) == "/admin/providers") {
    if (req.method != "GET") {
      auto r =
          admin_error(405, "method_not_allowed",
                      "Method " + req.method + " is not allowed on /admin/providers; use GET.");
      r.allow = "GET";
      done(std::move(r));
      return;
    }
    done(json_answer(200, providers_body(*gateway_)));
    return;
  }
  run([req = std::move(req), done = std::move(done)](admin_api& api) { done(api.handle(req)); });
}

void admin_frontend::run(std::function<void(admin_api&)> job) {
  if (worker_) caf::anon_send(worker_, admin_job{std::move(job)});
}

}  // namespace switchyard::runtime

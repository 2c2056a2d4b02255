// What a session does with one complete request: route it, answer health, metrics and model
// listing itself, authenticate and decode API calls, and hand those to the control plane.
#include <boost/asio/post.hpp>
#include <boost/beast/http/string_body.hpp>

#include "actors/router.hpp"
#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/upstream_request.hpp"
#include "runtime/admin_http.hpp"
#include "runtime/http_channel.hpp"
#include "runtime/key_info.hpp"
#include "runtime/ingress_rejections.hpp"
#include "runtime/metrics.hpp"
#include "runtime/request_id.hpp"
#include "runtime/routes.hpp"
#include "runtime/server.hpp"
#include "runtime/session.hpp"
#include "runtime/storage_guard.hpp"

namespace switchyard::runtime {

namespace http = boost::beast::http;

namespace {

// The gateway's own successful answers (health, models, metrics) claim the response like an error
// would: nothing else can race for it.
void respond(http_channel& channel, unsigned status, std::string_view content_type,
             std::string body) {
  if (channel.try_commit(actors::response_sink::error_attempt))
    channel.send_full(status, content_type, std::move(body), {});
}

// A chat, embeddings or Messages request, decoded into the gateway's view of it.
protocols::result<protocols::inbound_request, protocols::error_info> decode_api_request(
    route which, std::string_view body) {
  if (which == route::messages) {
    auto decoded = protocols::decode_anthropic_request(body);
    if (!decoded) return std::move(decoded).error();
    return protocols::inbound_from_anthropic(std::move(decoded).value());
  }
  return protocols::decode_openai_request(which == route::embeddings
                                              ? protocols::api_kind::embeddings
                                              : protocols::api_kind::chat_completions,
                                          body);
}

// A model the tenant or the key may not use is as unknown to it as one that does not exist: the
// error of the control plane's routes (actors/gateway.cpp) for a model outside a key's own list.
void send_not_yours(http_channel& channel, const std::string& id) {
  channel.send_error(protocols::make_error(protocols::gateway_error::model_not_found,
                                           "The model `" + id +
                                               "` does not exist or you do not have access "
                                               "to it. GET /v1/models lists yours.",
                                           "model"));
}

// The /v1 routes the gateway answers itself: the model list, one model, count_tokens. False for
// the others, which go to the control plane.
bool answer_locally(http_channel& channel, route which,
                    const http::request<http::string_body>& req,
                    const config::snapshot& config, const config::tenant_config& tenant,
                    const config::key_config* key, bool anthropic_client) {
  switch (which) {
    case route::models:
      respond(channel, 200, "application/json",
              anthropic_client ? anthropic_models_list_body(config, tenant, key)
                               : models_list_body(config, tenant, key));
      return true;
    case route::model: {
      const std::string id = model_id_of(req.target());
      if (actors::model_access_error(config, id, &tenant) || !key_may_use(key, id)) {
        send_not_yours(channel, id);
      } else {
        respond(channel, 200, "application/json",
                model_body(*config.find_model(id), anthropic_client));
      }
      return true;
    }
    case route::count_tokens: {
      auto counted = protocols::decode_anthropic_count_tokens_request(req.body());
      if (!counted) {
        channel.send_error(counted.error());
      } else if (auto denied = actors::model_access_error(config, counted.value().model, &tenant)) {
        channel.send_error(*denied);
      } else if (!key_may_use(key, counted.value().model)) {
        // As for Messages: the key's own allowed_models narrows its tenant's.
        send_not_yours(channel, counted.value().model);
      } else {
        respond(channel, 200, "application/json",
                protocols::anthropic_count_tokens_body(counted.value()));
      }
      return true;
    }
    default:
      return false;
  }
}

// GET /v1/generation?id=: the record of one request made with the caller's key. The lookup
// answers on an actor thread; the response is written back on the channel's strand.
void answer_generation(
    const std::shared_ptr<http_channel>& channel, std::string_view target,
    const std::string& key_id,
    const std::function<void(std::string, std::string,
                             std::function<void(std::optional<actors::request_record>)>)>& find) {
  auto id = query_param(target, "id");
  if (!id || id->empty()) {
    channel->send_error(protocols::make_error(
        protocols::gateway_error::bad_request,
        "Name the request: GET /v1/generation?id=<the x-request-id of its response>.", "id"));
    return;
  }
  auto not_found = protocols::make_error(
      protocols::gateway_error::route_not_found,
      "No finished request with this id was made with your key.", "id");
  if (!find) {
    channel->send_error(not_found);
    return;
  }
  find(std::move(*id), key_id,
       [channel, not_found](std::optional<actors::request_record> rec) {
         if (!rec) {
           channel->send_error(not_found);
           return;
         }
         auto body = generation_body(*rec);
         boost::asio::post(channel->executor(), [channel, body = std::move(body)]() mutable {
           respond(*channel, 200, "application/json", std::move(body));
         });
       });
}

}  // namespace

void session::dispatch(request_type& req) {
  auto channel = std::make_shared<http_channel>(shared_from_this(),
                                                accept_or_generate_request_id(req["x-request-id"]),
                                                req.version(), req.keep_alive());
  channel_ = channel;

  std::string_view method = req.method_string();
  std::string_view target = req.target();
  auto match = match_route(method, target);
  channel->set_dialect(target_dialect(target));
  if (match.outcome == route_match::not_found) {
    channel->send_error(route_not_found_error(method, target));
    return;
  }
  if (match.outcome == route_match::method_not_allowed) {
    channel->send_error(method_not_allowed_error(method, target, match.allow),
                        {{"Allow", std::string{match.allow}}});
    return;
  }

  switch (match.which) {
    case route::health_live:
      respond(*channel, 200, "application/json", std::string{health_live_body()});
      return;
    case route::health_ready: {
      auto ready = readiness(server_->draining(), storage_state_of(server_->options().usage),
                             server_->limits().fail_closed_on_storage_error);
      respond(*channel, ready.status, "application/json", std::move(ready.body));
      return;
    }
    case route::metrics:
      if (const auto& exporter = server_->options().exporter)
        respond(*channel, 200, metrics::content_type, exporter->scrape());
      else
        channel->send_error(route_not_found_error(method, target));
      return;
    case route::admin:
      answer_admin(channel, req, *server_);
      return;
    default:
      break;
  }

  // Anthropic's SDKs always send `anthropic-version`; OpenAI's never do. The model routes answer,
  // and refuse (a bad key, say), in the dialect of the client asking.
  const bool anthropic_client = !req["anthropic-version"].empty();
  const bool model_route = match.which == route::models || match.which == route::model;
  channel->set_dialect(model_route && anthropic_client ? protocols::dialect::anthropic
                                                       : route_dialect(match.which));
  // One read of the live state per request: it keeps the tenant alive until the request ends.
  const auto live = server_->live();
  auto who = live->keys.authenticate(std::string_view{req[http::field::authorization]},
                                     std::string_view{req["x-api-key"]});
  if (!who) {
    channel->send_error(who.error());
    if (const auto& log = server_->options().rejected; log && is_logged_api_route(match.which))
      log->on_request_done(rejected_request_record(channel->request_id(), match.which, who.error(),
                                                   received_, {}, {}));
    return;
  }
  if (answer_locally(*channel, match.which, req, *live->config, *who->tenant, who->key,
                     anthropic_client))
    return;
  if (match.which == route::key) {
    if (const auto* book = server_->options().budgets)
      respond(*channel, 200, "application/json", key_info_body(who.value(), *book));
    else
      channel->send_error(route_not_found_error(method, target));
    return;
  }
  if (match.which == route::generation) {
    answer_generation(channel, req.target(), who->key_id, server_->options().find_usage);
    return;
  }

  // Fail closed: a request whose usage record could not be kept is not served.
  if (auto refused = unbillable_error(storage_state_of(server_->options().usage),
                                      server_->limits().fail_closed_on_storage_error)) {
    channel->send_error(*refused);
    return;
  }
  auto decoded = decode_api_request(match.which, req.body());
  if (!decoded) {
    channel->send_error(decoded.error());
    if (const auto& log = server_->options().rejected)
      log->on_request_done(rejected_request_record(channel->request_id(), match.which,
                                                   decoded.error(), received_, who->tenant->name,
                                                   who->key_prefix));
    return;
  }
  const std::size_t body_bytes = req.body().size();
  // The body is not needed any more: the decoded request holds its own parsed copy.
  req.body().clear();
  req.body().shrink_to_fit();

  actors::request_context ctx;
  ctx.request_id = channel->request_id();
  ctx.tenant = who->tenant;
  ctx.tenant_owner = live->config;
  ctx.key_prefix = who->key_prefix;
  ctx.key_id = who->key_id;
  ctx.key = who->key;
  ctx.body_bytes = body_bytes;
  ctx.request = std::move(decoded).value();
  ctx.sink = channel;
  // Latency is measured from the moment the request was fully read: a slow upload is not ours.
  ctx.received = received_;
  start_watch();
  server_->options().submit(std::move(ctx));
}

}  // namespace switchyard::runtime

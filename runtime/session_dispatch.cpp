// What a session does with one complete request: route it, answer health, metrics and model
// listing itself, authenticate and decode API calls, and hand those to the control plane.
#include <boost/beast/http/string_body.hpp>

#include "protocols/anthropic_codec.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/upstream_request.hpp"
#include "runtime/http_channel.hpp"
#include "runtime/metrics.hpp"
#include "runtime/request_id.hpp"
#include "runtime/routes.hpp"
#include "runtime/server.hpp"
#include "runtime/session.hpp"

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

}  // namespace

void session::dispatch(request_type& req) {
  auto channel = std::make_shared<http_channel>(shared_from_this(),
                                                accept_or_generate_request_id(req["x-request-id"]),
                                                req.version(), req.keep_alive());
  channel_ = channel;

  std::string_view method = req.method_string();
  std::string_view target = req.target();
  auto match = match_route(method, target);
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
      bool draining = server_->draining();
      respond(*channel, draining ? 503 : 200, "application/json",
              std::string{health_ready_body(draining)});
      return;
    }
    case route::metrics:
      if (const auto& exporter = server_->options().exporter)
        respond(*channel, 200, metrics::content_type, exporter->scrape());
      else
        channel->send_error(route_not_found_error(method, target));
      return;
    default:
      break;
  }

  // Anthropic's SDKs always send `anthropic-version`; OpenAI's never do. /v1/models answers, and
  // refuses (a bad key, say), in the dialect of the client asking.
  const bool anthropic_client = !req["anthropic-version"].empty();
  channel->set_dialect(match.which == route::models && anthropic_client
                           ? protocols::dialect::anthropic
                           : route_dialect(match.which));
  auto who = server_->keys().authenticate(std::string_view{req[http::field::authorization]},
                                          std::string_view{req["x-api-key"]});
  if (!who) {
    channel->send_error(who.error());
    return;
  }
  if (match.which == route::models) {
    respond(*channel, 200, "application/json",
            anthropic_client ? anthropic_models_list_body(server_->config(), *who->tenant)
                             : models_list_body(server_->config(), *who->tenant));
    return;
  }
  if (match.which == route::count_tokens) {
    auto counted = protocols::decode_anthropic_count_tokens_request(req.body());
    if (!counted) {
      channel->send_error(counted.error());
      return;
    }
    respond(*channel, 200, "application/json",
            protocols::anthropic_count_tokens_body(counted.value()));
    return;
  }

  auto decoded = decode_api_request(match.which, req.body());
  if (!decoded) {
    channel->send_error(decoded.error());
    return;
  }
  // The body is not needed any more: the decoded request holds its own parsed copy.
  req.body().clear();
  req.body().shrink_to_fit();

  actors::request_context ctx;
  ctx.request_id = channel->request_id();
  ctx.tenant = who->tenant;
  ctx.key_prefix = who->key_prefix;
  ctx.request = std::move(decoded).value();
  ctx.sink = channel;
  // Latency is measured from the moment the request was fully read: a slow upload is not ours.
  ctx.received = received_;
  start_watch();
  server_->options().submit(std::move(ctx));
}

}  // namespace switchyard::runtime

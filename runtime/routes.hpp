// The ingress route table (path × method) and the bodies of the routes the session answers
// itself (/v1/models, health). Pure: no sockets, so it is unit-tested directly.
#pragma once

#include <cstdint>
#include <string>
#include <optional>
#include <string_view>

#include "actors/ports/request_observer.hpp"
#include "config/config.hpp"
#include "protocols/canonical.hpp"
#include "protocols/error.hpp"

namespace switchyard::runtime {

/// Every path the gateway serves.
enum class route : std::uint8_t {
  chat_completions,  ///< POST /v1/chat/completions
  embeddings,        ///< POST /v1/embeddings
  messages,          ///< POST /v1/messages (Anthropic dialect)
  count_tokens,      ///< POST /v1/messages/count_tokens (Anthropic dialect; an estimate)
  models,            ///< GET /v1/models (Anthropic's shape when `anthropic-version` is sent)
  model,             ///< GET /v1/models/{id} (the id may contain '/')
  generation,        ///< GET /v1/generation?id= (one finished request's record)
  key,               ///< GET /v1/key (the caller's limits, spend and remaining budget)
  health_live,       ///< GET /health/live
  health_ready,      ///< GET /health/ready
  metrics,           ///< GET /metrics
  admin,             ///< /admin/* (any method; the admin API answers 405 itself)
};

/// The outcome of looking up a request line.
struct route_match {
  enum outcome_t : std::uint8_t { found, not_found, method_not_allowed };
  outcome_t outcome = not_found;
  route which = route::chat_completions;  ///< valid when `found`
  std::string_view allow;                 ///< the `Allow` header value when `method_not_allowed`
};

/// Looks up `method` (e.g. "POST") and `target` (the request target; a query string is ignored).
route_match match_route(std::string_view method, std::string_view target) noexcept;

/// True for routes that require an API key (everything under /v1/).
bool requires_auth(route r) noexcept;

/// The dialect of a route's answers and errors (Anthropic for /v1/messages*, else OpenAI).
protocols::dialect route_dialect(route r) noexcept;

/// The dialect for errors about `target` before a route is known: Anthropic for paths under
/// /v1/messages (an unknown /v1/messages/batches, a GET /v1/messages), else OpenAI.
protocols::dialect target_dialect(std::string_view target) noexcept;

/// The model id of a `route::model` target ("/v1/models/{id}"), percent-decoded (SDKs encode a
/// '/' in a model name as %2F).
std::string model_id_of(std::string_view target);

/// The path part of a request target (up to `?` or `#`).
std::string_view target_path(std::string_view target) noexcept;

/// `target_path`, with OpenRouter's base path aliased: `/api/v1/…` is served as `/v1/…`, so an
/// OpenRouter client works by changing only its base URL. Routing matches on this.
std::string_view route_path(std::string_view target) noexcept;

/// 404 `route_not_found` naming the method and path.
protocols::error_info route_not_found_error(std::string_view method, std::string_view target);

/// 405 `method_not_allowed` naming the allowed method.
protocols::error_info method_not_allowed_error(std::string_view method, std::string_view target,
                                               std::string_view allow);

/// OpenAI's model list: `{"object":"list","data":[{"id","object":"model","created":0,
/// "owned_by":"switchyard"}…]}` of the configured models `tenant` (and `key`, when it narrows the
/// tenant's `allowed_models`) may use, in config order.
std::string models_list_body(const config::snapshot& config, const config::tenant_config& tenant,
                             const config::key_config* key = nullptr);

/// Anthropic's model list: `{"data":[{"type":"model","id","display_name","created_at"}…],
/// "has_more":false,"first_id","last_id"}`, same models as models_list_body.
std::string anthropic_models_list_body(const config::snapshot& config,
                                       const config::tenant_config& tenant,
                                       const config::key_config* key = nullptr);

/// True when `key` (may be null) may use `model`: its own `allowed_models` is empty or names it.
bool key_may_use(const config::key_config* key, const std::string& model);

/// One model, for GET /v1/models/{id}: OpenAI's `{"id","object":"model","created":0,
/// "owned_by":"switchyard"}`, or with `anthropic` Anthropic's `{"type":"model","id",
/// "display_name","created_at"}`.
std::string model_body(const config::model_config& model, bool anthropic);

/// The value of query parameter `name` in `target`, percent-decoded (`+` stays a plus); nullopt
/// when absent.
std::optional<std::string> query_param(std::string_view target, std::string_view name);

/// OpenRouter's generation answer for one record: `{"data":{"id","created_at","model",
/// "provider_name","upstream_model","streamed","cancelled","status","attempts","tokens_prompt",
/// "tokens_completion","native_tokens_cached","native_tokens_reasoning","total_cost","latency",
/// "time_to_first_byte"}}` (latencies in milliseconds, `created_at` ISO 8601 UTC).
std::string generation_body(const actors::request_record& record);

/// `{"status":"ok"}` for /health/live.
std::string_view health_live_body() noexcept;

/// `{"status":"ready"}` or, once draining, `{"status":"draining"}` for /health/ready.
std::string_view health_ready_body(bool draining) noexcept;

}  // namespace switchyard::runtime

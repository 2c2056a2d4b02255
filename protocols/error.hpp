// The gateway's own error vocabulary, and how each error looks on the wire (status, OpenAI and
// Anthropic bodies, a mid-stream SSE error event). Every error a client sees is built here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::protocols {

/// Every error the gateway answers with. The HTTP status follows from the code.
enum class gateway_error : std::uint8_t {
  bad_request,         ///< 400 malformed JSON, wrong type, missing field
  unauthorized,        ///< 401 missing or unknown API key
  budget_exhausted,    ///< 402 the tenant's budget cannot cover a minimal answer
  forbidden,           ///< 403 model or data policy not allowed for this key
  model_not_found,     ///< 404 no such model
  route_not_found,     ///< 404 no such path
  method_not_allowed,  ///< 405 wrong HTTP method for a known path
  request_timeout,     ///< 408 the client was too slow sending its request
  payload_too_large,   ///< 413 body or headers over the configured limit
  rate_limited,        ///< 429 rpm/tpm window full (carries Retry-After)
  internal,            ///< 500 a bug or a crashed request actor
  upstream_failed,     ///< 502 every attempt failed, or the committed attempt broke
  overloaded,          ///< 503 every target refused (queues full) (carries Retry-After)
  no_healthy_target,   ///< 503 no enabled target serves this model (carries Retry-After)
  draining,            ///< 503 the node is shutting down (carries Retry-After)
  upstream_timeout,    ///< 504 every attempt timed out
  /// 503 the shared counters (Redis) are unreachable and this node's budget leases are spent:
  /// a budget cannot be enforced across the cluster (carries Retry-After)
  counters_unavailable,
};

/// One error, as the gateway reports it to a client.
struct error_info {
  gateway_error code = gateway_error::internal;
  /// Human-readable; says what to do. Never contains a credential.
  std::string message;
  /// The request field at fault, if any (OpenAI's `param`).
  std::string param;
  /// Seconds for the `Retry-After` header, where the status calls for one.
  std::optional<std::uint32_t> retry_after_s;
};

/// Shorthand constructor.
error_info make_error(gateway_error code, std::string message, std::string param = {},
                      std::optional<std::uint32_t> retry_after_s = std::nullopt);

/// The HTTP status for `code`.
unsigned http_status(gateway_error code) noexcept;

/// OpenAI's `error.type` for `code` (e.g. "invalid_request_error", "authentication_error").
std::string_view openai_error_type(gateway_error code) noexcept;

/// OpenAI's `error.code` for `code` (e.g. "invalid_api_key", "model_not_found").
std::string_view openai_error_code(gateway_error code) noexcept;

/// Anthropic's `error.type` for `code` (e.g. "invalid_request_error", "overloaded_error").
std::string_view anthropic_error_type(gateway_error code) noexcept;

/// `{"error":{"message":…,"type":…,"code":…,"param":…}}` (param null when empty).
std::string openai_error_body(const error_info& e);

/// `{"type":"error","error":{"type":…,"message":…}}`.
std::string anthropic_error_body(const error_info& e);

/// The SSE event that ends a committed OpenAI stream on failure: `data: {"error":…}\n\n`.
/// Never followed by `[DONE]`.
std::string openai_stream_error_event(const error_info& e);

}  // namespace switchyard::protocols

// OpenAI-dialect requests: decode and validate what a client sent, and encode what goes upstream
// (same-dialect passthrough: only the fields the gateway owns are rewritten).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/openai_builders.hpp"
#include "protocols/result.hpp"
#include "protocols/routing_controls.hpp"

namespace switchyard::protocols {

/// Which OpenAI endpoint a request is for.
enum class api_kind : std::uint8_t {
  chat_completions,  ///< POST /v1/chat/completions
  embeddings,        ///< POST /v1/embeddings
};

/// The gateway's view of an inbound request (OpenAI chat or embeddings, or Anthropic Messages),
/// plus its parsed JSON for same-dialect passthrough.
struct inbound_request {
  api_kind kind = api_kind::chat_completions;  ///< Anthropic Messages counts as chat
  /// The dialect the client spoke, and wants its answer in.
  dialect client = dialect::openai;
  /// The model name as the client asked for it (a gateway model name).
  std::string model;
  /// `stream: true`.
  bool stream = false;
  /// `stream_options.include_usage: true` — the client wants the final usage chunk.
  bool include_usage = false;
  /// `max_completion_tokens`, else `max_tokens`, when given.
  std::optional<std::uint32_t> max_tokens;
  /// A cheap estimate of the prompt's tokens (about 4 bytes of text per token).
  std::uint32_t prompt_tokens_estimate = 0;
  /// The whole request as parsed; immutable and shared between attempts.
  std::shared_ptr<const rapidjson::Document> json;
  /// Anthropic clients: the decoded request (its `original` is `json`). Null for OpenAI clients,
  /// whose canonical form is built only for an attempt that crosses dialects.
  std::shared_ptr<const canonical_request> canonical;
  /// OpenRouter-style routing controls (`models`, `provider`, `route`); never sent upstream.
  routing_controls controls;
};

/// An inbound request for an Anthropic Messages client, from its decoded form.
inbound_request inbound_from_anthropic(canonical_request req);

/// Parses and validates `body` for `kind`. Errors are 400s naming the offending `param`:
/// not JSON or not an object; `model` missing or not a non-empty string; for chat, `messages`
/// missing, empty, not an array of objects with a string `role`; `stream` not a boolean;
/// `stream_options` not an object (or `include_usage` not a boolean); `max_tokens` /
/// `max_completion_tokens` not a non-negative integer; `temperature`, `top_p` not numbers;
/// `n` not a positive integer; `tools` not an array; for embeddings, `input` missing or not a
/// string or array; a routing control that `decode_routing_controls` refuses.
result<inbound_request, error_info> decode_openai_request(api_kind kind, std::string_view body);

/// The `encoding_format` an embeddings request asked for ("base64" → base64; absent or "float"
/// → float_array).
embedding_encoding requested_embedding_encoding(const inbound_request& req) noexcept;

/// Serializes `req.json` for an OpenAI-dialect upstream: `model` becomes `upstream_model`; for a
/// stream, `stream_options.include_usage` is set to true (other `stream_options` keys kept) so
/// the gateway always learns the usage; the routing controls (`models`, `provider`, `route`) are
/// left out. Every other field is kept as sent, in order.
///
/// `max_tokens` (a budget's output cap): `max_tokens` and `max_completion_tokens` above it are
/// lowered to it; a request with neither gets it as `max_completion_tokens`, or as `max_tokens`
/// when `legacy_max_tokens` (older OpenAI-compatible servers).
std::string encode_openai_upstream(const inbound_request& req, std::string_view upstream_model,
                                   std::optional<std::uint32_t> max_tokens = std::nullopt,
                                   bool legacy_max_tokens = false);

}  // namespace switchyard::protocols

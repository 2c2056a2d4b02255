// OpenAI chat completions <-> the canonical model: requests both ways, responses both ways. Used
// when a request crosses dialects; same-dialect OpenAI traffic keeps using the passthrough in
// openai_request.hpp.
#pragma once

#include <cstdint>
#include <string_view>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/result.hpp"

namespace switchyard::protocols {

/// Decodes an OpenAI chat completions request body. Errors are 400s naming the field (e.g.
/// `messages[2].tool_calls[0].function.arguments`). Members the canonical model has no place for
/// are kept in `extras` so that encode_openai_chat_request writes them back.
result<canonical_request, error_info> decode_openai_chat_request(std::string_view body);

/// The same, from a request decode_openai_request already parsed and validated (no second parse;
/// `original` shares its document).
result<canonical_request, error_info> openai_chat_to_canonical(const inbound_request& req);

/// How encode_openai_chat_request treats what it cannot carry.
struct openai_encode_options {
  /// Drop fields OpenAI cannot honour (and list them) instead of failing with a 400.
  bool drop_unsupported = false;
  /// For a stream, set `stream_options.include_usage` so the gateway always learns the usage.
  bool request_usage = true;
  /// For a request from another dialect, write the limit as `max_tokens` (older
  /// OpenAI-compatible servers) rather than `max_completion_tokens`.
  bool legacy_max_tokens = false;
};

/// Encodes `req` as an OpenAI chat completions request for `upstream_model`. From another dialect,
/// fields OpenAI cannot honour (`top_k`, Anthropic `cache_control`, a tool result's `is_error`, a
/// thinking block in the history, …) are a 400 naming the field, or dropped and listed with
/// `drop_unsupported`. An Anthropic thinking budget becomes `reasoning_effort` (budget_effort).
result<encoded_body, error_info> encode_openai_chat_request(const canonical_request& req,
                                                            std::string_view upstream_model,
                                                            const openai_encode_options& opts = {});

/// Decodes an upstream `chat.completion` body. Errors are 502s (upstream_failed) naming the field.
/// `reasoning_content` on the message (DeepSeek, vLLM) becomes a thinking part.
result<canonical_response, error_info> decode_openai_chat_response(std::string_view body);

/// What the client-facing OpenAI response says where the canonical response is silent.
struct openai_response_options {
  std::string_view model;        ///< overrides the model name when non-empty
  std::string_view fallback_id;  ///< used when the response has no id
  std::int64_t created = 0;      ///< used when the response has no creation time
};

/// Encodes a `chat.completion` body for an OpenAI client. Thinking text goes to the message's
/// `reasoning_content`; what OpenAI has no place for (thinking signatures, redacted thinking,
/// opaque blocks) is listed in `dropped`. Fails (502) only when a tool call from another dialect
/// cannot be written (never, today; kept for symmetry with the other encoders).
result<encoded_body, error_info> encode_openai_chat_response(
    const canonical_response& resp, const openai_response_options& opts = {});

}  // namespace switchyard::protocols

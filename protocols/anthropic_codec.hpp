// Anthropic Messages API <-> the canonical model: requests both ways (for the /v1/messages
// ingress and for Anthropic upstreams), responses both ways, and the passthrough encoder for
// Anthropic-to-Anthropic traffic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/result.hpp"

namespace switchyard::protocols {

/// Decodes a `POST /v1/messages` body. Errors are 400s naming the field: not JSON or not an
/// object; `model` not a non-empty string; `max_tokens` missing or not a non-negative integer;
/// `messages` not a non-empty array of `{role: "user"|"assistant", content}`; a content block that
/// is not an object with a string `type`, a `tool_use` without `id`/`name`/object `input`, a
/// `tool_result` without `tool_use_id`; `system` not a string or array of text blocks;
/// `stop_sequences` not an array of strings; wrong types for `temperature`, `top_p`, `top_k`,
/// `stream`, `tools`, `tool_choice`, `thinking`, `metadata`.
///
/// Tool results become `tool` messages (flagged `joins_previous` when they share a user turn);
/// `system` becomes one leading system message; `metadata.user_id` becomes `user`;
/// `tool_choice.disable_parallel_tool_use` becomes `parallel_tool_calls`. Everything else that has
/// no canonical field (`cache_control`, citations, documents, server tools, `service_tier`, …) is
/// kept verbatim for an Anthropic upstream and refused (or dropped) for any other.
/// `original` holds the parsed body for encode_anthropic_passthrough.
result<canonical_request, error_info> decode_anthropic_request(std::string_view body);

/// Decodes a `POST /v1/messages/count_tokens` body: the same fields as a Messages request, but
/// `max_tokens` may be absent.
result<canonical_request, error_info> decode_anthropic_count_tokens_request(std::string_view body);

/// `{"input_tokens":N}`, the count_tokens answer (the gateway's estimate of `req`'s prompt).
std::string anthropic_count_tokens_body(const canonical_request& req);

/// How encode_anthropic_request fills gaps and treats what it cannot carry.
struct anthropic_encode_options {
  /// Drop fields Anthropic cannot honour (and list them) instead of failing with a 400.
  bool drop_unsupported = false;
  /// `max_tokens` when the request has none (Anthropic requires it).
  std::uint32_t default_max_tokens = 4096;
};

/// Encodes `req` as an Anthropic Messages request for `upstream_model`. System and developer
/// messages are hoisted into `system`; consecutive tool results share one user turn; tool call
/// arguments become `input` objects (a 400 naming the arguments when they are not a JSON
/// object); `reasoning_effort` becomes `thinking.budget_tokens` (effort_budget, kept below
/// `max_tokens`). Refused unless dropped: `n` > 1, `seed`, non-zero `frequency_penalty` /
/// `presence_penalty`, `temperature` > 1, `response_format` json_object/json_schema, a tool's
/// `strict: true`, a message `name`, an image `detail` other than "auto", OpenAI-only content
/// parts and tools, and any member kept verbatim from another dialect.
result<encoded_body, error_info> encode_anthropic_request(
    const canonical_request& req, std::string_view upstream_model,
    const anthropic_encode_options& opts = {});

/// Anthropic-to-Anthropic passthrough: `req.original` written back with only `model` replaced
/// (every other member kept as sent, in order), and `max_tokens` lowered to `max_tokens_cap`
/// when above it (a budget's output cap). Empty when `req` has no original document.
std::string encode_anthropic_passthrough(const canonical_request& req,
                                         std::string_view upstream_model,
                                         std::optional<std::uint32_t> max_tokens_cap = std::nullopt);

/// Decodes an upstream Messages response (`{"type":"message",…}`). Errors are 502s naming the
/// field. Usage is normalized: prompt = input + cache creation + cache read tokens, cached =
/// cache read, cache_creation_tokens = cache creation.
result<canonical_response, error_info> decode_anthropic_response(std::string_view body);

/// What the client-facing Anthropic response says where the canonical response is silent.
struct anthropic_response_options {
  std::string_view model;        ///< overrides the model name when non-empty
  std::string_view fallback_id;  ///< used when the response has no id
};

/// Encodes a Messages response for an Anthropic client from the first choice. Tool call arguments
/// become `input` objects (a 502 naming them when the upstream's are not a JSON object); OpenAI
/// `reasoning_content` becomes a thinking block with an empty signature; other choices and
/// members Anthropic has no place for are listed in `dropped`.
result<encoded_body, error_info> encode_anthropic_response(
    const canonical_response& resp, const anthropic_response_options& opts = {});

/// The SSE event that ends a committed Anthropic stream on failure:
/// `event: error\ndata: {"type":"error","error":{…}}\n\n`.
std::string anthropic_stream_error_event(const error_info& e);

}  // namespace switchyard::protocols

// What the mock provider answers in the OpenAI dialect: chat requests reduced to a reply_request,
// whole chat completions and the frames of a chat stream (for a reply_script), embeddings, the
// model list and OpenAI-style error bodies. Pure functions over the protocols builders; no
// sockets here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "bench/mock_provider/reply_script.hpp"
#include "protocols/openai_builders.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// Decodes a chat completions body (decode_openai_request's validation, its errors with their
/// `param`) into what the mock needs; a tool call when the request's tools and `tool_choice` or
/// its last user message ask for one (see tool_to_call).
protocols::result<reply_request, request_error> decode_openai_reply_request(std::string_view body);

/// What a chat completions request says about tools: the first `function` tool, `tool_choice`
/// ("none", "auto", "required", or `{"type":"function","function":{"name":…}}`), and whether
/// the last message is the user's and mentions tool_call_trigger.
tool_offer openai_tool_offer(const rapidjson::Value& request);

/// A whole `chat.completion` body: the reply text, or an assistant message with one tool call
/// (`content: null`, `finish_reason: "tool_calls"`); usage is the prompt estimate and the
/// reply's pieces.
std::string chat_completion_body(const reply_context& reply);

/// OpenAI's stream: the role chunk, one chunk per piece (a token's text; for a tool call, the
/// call's id and name with the first arguments piece, then one arguments piece per chunk), the
/// final chunk with finish_reason, the usage chunk (only with include_usage), and
/// `data: [DONE]`.
frame_layout openai_layout(const reply_context& reply);

/// Appends step `step` of an OpenAI stream (`piece` for a piece step) as `data: …\n\n`.
void append_openai_frame(const reply_context& reply, stream_step step, std::uint32_t piece,
                         std::string& out);

/// The size line of an HTTP/1.1 chunk: hex size and CRLF.
std::string http_chunk_size_line(std::size_t size);

/// How many inputs an embeddings request's `input` holds: a string or a token array is one,
/// an array of strings or of token arrays is one per element.
std::size_t embedding_input_count(const rapidjson::Value& input) noexcept;

/// A seed for an embeddings request: `seed` mixed with a hash of the `input` value, so the same
/// input always embeds to the same vectors.
std::uint64_t embedding_seed(std::uint64_t seed, const rapidjson::Value& input);

/// The request's `dimensions` if present (an integer from 1 to 8192), else `fallback`.
/// The error names the param.
protocols::result<std::uint32_t, std::string> embedding_dimensions(const rapidjson::Value& request,
                                                                   std::uint32_t fallback);

/// An embeddings response of `inputs` vectors.
std::string embeddings_body(std::string_view model, std::size_t inputs, std::uint32_t dimensions,
                            std::uint64_t seed, std::uint32_t prompt_tokens,
                            protocols::embedding_encoding encoding);

/// GET /v1/models: `{"object":"list","data":[{"id":…,"object":"model",…}]}`.
std::string models_body(const std::vector<std::string>& models);

/// An upstream-style OpenAI error body for `status`:
/// `{"error":{"message":…,"type":…,"param":…,"code":…}}` with the type and code OpenAI uses for
/// that status (e.g. 429 → "requests"/"rate_limit_exceeded", 5xx → "server_error").
std::string error_body(unsigned status, std::string_view message, std::string_view param = {});

}  // namespace switchyard::mock

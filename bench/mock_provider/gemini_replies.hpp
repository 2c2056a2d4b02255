// What the mock provider answers in the Gemini dialect (POST …/models/{model}:generateContent and
// :streamGenerateContent?alt=sse): the route and its model, requests reduced to a reply_request,
// the API-key check, GenerateContentResponses whole and as SSE events, and Google's error bodies.
// Pure functions; no sockets here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "bench/mock_provider/reply_script.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// A Gemini call as its path names it.
struct gemini_call {
  std::string model;    ///< percent-decoded, without the "models/" prefix
  bool stream = false;  ///< `:streamGenerateContent`
};

/// Parses a path (no query) ending in `/models/{model}:generateContent` or
/// `:streamGenerateContent`, whatever comes before (`/v1beta`, `/v1`, a base path); nullopt for
/// any other path.
std::optional<gemini_call> parse_gemini_path(std::string_view path);

/// The value of query parameter `name` in `target` (as sent, not decoded); empty when absent.
std::string_view query_param(std::string_view target, std::string_view name);

/// Decodes a generateContent body for the call `target` names (a stream wants `alt=sse`: the
/// mock does not write the JSON-array stream Gemini sends without it). Errors are 400s:
/// not a JSON object, `contents` not a non-empty array of objects with a `parts` array,
/// `generationConfig.maxOutputTokens` not a non-negative integer. The prompt estimate counts
/// the text of `contents` and `systemInstruction`.
protocols::result<reply_request, request_error> decode_gemini_reply_request(std::string_view target,
                                                                            std::string_view body);

/// What a generateContent request says about tools: the first of `tools[].functionDeclarations`,
/// `toolConfig.functionCallingConfig.mode` (NONE; ANY, forcing `allowedFunctionNames[0]` when
/// given; AUTO), and whether the last content is the user's and its text mentions
/// tool_call_trigger.
tool_offer gemini_tool_offer(const rapidjson::Value& request);

/// The Gemini API's key check when a key is configured: `x-goog-api-key`, else the `key` query
/// parameter (empty = absent). None at all is a 403 PERMISSION_DENIED, a wrong one a 400
/// INVALID_ARGUMENT, as Google answers them.
std::optional<request_error> gemini_auth_error(std::string_view header_key,
                                               std::string_view query_key,
                                               std::string_view expected_key);

/// A whole GenerateContentResponse: one candidate with the reply text, or with one
/// `functionCall` part (args tool_call_arguments, no id, as Gemini sends them); finishReason
/// STOP or MAX_TOKENS; usageMetadata; modelVersion and responseId.
std::string gemini_response_body(const reply_context& reply);

/// Gemini's stream, as frames: one GenerateContentResponse per token (a tool call is one event
/// with the whole functionCall, as Gemini streams them), then a last one with an empty text
/// part, the finishReason and the usageMetadata. No terminal event: the body just ends.
frame_layout gemini_layout(const reply_context& reply);

/// Appends step `step` (`piece` for a piece step) as `data: …\r\n\r\n`.
void append_gemini_frame(const reply_context& reply, stream_step step, std::uint32_t piece,
                         std::string& out);

/// `{"error":{"code":…,"message":…,"status":…}}` with the canonical status name Google uses for
/// the HTTP status (429 RESOURCE_EXHAUSTED, 503 UNAVAILABLE, …).
std::string gemini_error_body(unsigned status, std::string_view message);

}  // namespace switchyard::mock

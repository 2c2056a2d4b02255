// Google Gemini generateContent: canonical request -> Gemini request (body and URL path), and
// Gemini response -> canonical response. Gemini is an upstream dialect only (no Gemini ingress).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/result.hpp"

namespace switchyard::protocols {

/// How encode_gemini_request writes and what it does with what it cannot carry.
struct gemini_encode_options {
  /// Drop fields Gemini cannot honour (and list them) instead of failing with a 400.
  bool drop_unsupported = false;
  /// The API version segment of the path; empty when the provider's base URL already ends with
  /// it (the gateway's providers do: `https://generativelanguage.googleapis.com/v1beta`).
  std::string_view api_version = "v1beta";
  /// Write schemas as `parameters` / `responseSchema` (Gemini's OpenAPI subset, for older
  /// endpoints) instead of `parametersJsonSchema` / `responseJsonSchema` (full JSON Schema).
  bool openapi_schemas = false;
};

/// A request ready for a Gemini upstream.
struct gemini_request {
  /// Path to append to the provider's base URL (scheme and host), e.g.
  /// "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse".
  std::string path;
  std::string body;
  std::vector<std::string> dropped;  ///< fields dropped under drop_unsupported
};

/// The path for `model` ("models/" prefix optional; other characters percent-encoded):
/// `/<api_version>/models/<model>:generateContent` (no version segment when it is empty), or `:streamGenerateContent?alt=sse` for a
/// stream (Server-Sent Events, one GenerateContentResponse per event, no terminal event).
std::string gemini_request_path(std::string_view model, bool stream,
                                std::string_view api_version = "v1beta");

/// Encodes `req` for Gemini. System and developer messages become `systemInstruction`; assistant
/// turns become role "model"; tool calls become `functionCall` parts (arguments must be a JSON
/// object: else a 400 naming them); tool results become `functionResponse` parts named after the
/// call they answer (`{"output": text}`, or `{"error": text}` for Anthropic `is_error`), the
/// results of one turn in one content; consecutive messages of one role are merged. Sampling goes
/// to `generationConfig` (`n` -> candidateCount, `max_tokens` -> maxOutputTokens, `stop` ->
/// stopSequences, json response formats -> responseMimeType + schema, `reasoning_effort` or the
/// thinking budget -> thinkingConfig with includeThoughts). Refused unless dropped:
/// `parallel_tool_calls: false`, `user` / `metadata.user_id`, a seed outside 32 bits, thinking
/// blocks in the history, a tool's `strict: true`, an image `detail` other than "auto", and
/// members kept verbatim from another dialect.
result<gemini_request, error_info> encode_gemini_request(const canonical_request& req,
                                                         std::string_view upstream_model,
                                                         const gemini_encode_options& opts = {});

/// A tool call id for Gemini function calls that carry none: "call_" + 16 hex digits derived from
/// `seed` (e.g. the gateway's request id), `candidate` and `n` (the call's number in its
/// candidate). Stable, so a stream and its replay agree.
std::string gemini_tool_call_id(std::string_view seed, std::uint32_t candidate, std::uint32_t n);

/// Decodes a GenerateContentResponse (a whole response, or one stream event). Errors are 502s
/// naming the field. `id_seed` seeds generated tool call ids (the responseId when empty).
/// Candidates become choices; thought parts become thinking (thoughtSignature as signature);
/// a STOP with function calls is tool_calls; a prompt blocked before any candidate is one choice
/// finished by content_filter. Usage: prompt = promptTokenCount + toolUsePromptTokenCount,
/// completion = candidatesTokenCount + thoughtsTokenCount, reasoning = thoughtsTokenCount,
/// cached = cachedContentTokenCount.
result<canonical_response, error_info> decode_gemini_response(std::string_view body,
                                                              std::string_view id_seed = {});

}  // namespace switchyard::protocols

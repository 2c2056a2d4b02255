// Builds OpenAI-dialect response bodies and stream chunks (used by the mock providers, in-process
// and standalone, and by tests as reference vectors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/usage.hpp"

namespace switchyard::protocols {

/// A whole `chat.completion` object with one assistant choice and `usage`.
std::string build_chat_completion(std::string_view id, std::string_view model, std::int64_t created,
                                  std::string_view content, const usage& u,
                                  std::string_view finish_reason = "stop");

/// One `chat.completion.chunk` (JSON only, no SSE framing): a delta with `role` when given, with
/// `content` when non-empty, and `finish_reason` when given (else null).
std::string build_chat_chunk(std::string_view id, std::string_view model, std::int64_t created,
                             std::optional<std::string_view> role, std::string_view content,
                             std::optional<std::string_view> finish_reason);

/// The final usage-only chunk OpenAI sends when `include_usage` is on: `choices: []` and `usage`.
std::string build_usage_chunk(std::string_view id, std::string_view model, std::int64_t created,
                              const usage& u);

/// How embedding vectors are written (the request's `encoding_format`).
enum class embedding_encoding : std::uint8_t {
  float_array,  ///< `[0.1, …]` (the API's default)
  base64,       ///< base64 of little-endian float32 values (what the OpenAI SDKs ask for)
};


/// A `list` of `inputs` embeddings of `dimensions` floats each, deterministic for `seed`.
std::string build_embeddings(std::string_view model, std::size_t inputs, std::size_t dimensions,
                             std::uint64_t seed, const usage& u,
                             embedding_encoding encoding = embedding_encoding::float_array);

}  // namespace switchyard::protocols

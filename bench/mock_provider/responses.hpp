// What the mock provider answers: the deterministic reply, whole chat completions, the frames of
// a chat stream and when each is due, embeddings, the model list and OpenAI-style error bodies.
// Pure functions over the protocols builders; no sockets here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocols/openai_builders.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// How long a reply is and why it ends.
struct reply_shape {
  std::uint32_t tokens = 0;
  /// "stop", or "length" when the request's max_tokens cut the reply short.
  std::string_view finish_reason = "stop";
};

/// The reply for a request: `reply_tokens` capped by the request's `max_tokens`.
reply_shape shape_reply(std::uint32_t reply_tokens, std::optional<std::uint32_t> max_tokens);

/// Appends token `i` of the reply: "token0", then " token1", " token2", ... so that the tokens
/// of a stream concatenate to the whole non-stream reply.
void append_reply_token(std::string& out, std::uint32_t i);

/// The whole reply text of `tokens` tokens ("token0 token1 ...").
std::string reply_text(std::uint32_t tokens);

/// A whole `chat.completion` body; usage is `prompt_tokens` and the reply's tokens.
std::string chat_completion_body(std::string_view id, std::string_view model, std::int64_t created,
                                 const reply_shape& shape, std::uint32_t prompt_tokens);

/// The SSE frames of one chat stream and the token slot each goes out with.
/// Frames, in order: the role chunk, one chunk per token, the final chunk with finish_reason,
/// the usage chunk (only with include_usage), and `data: [DONE]`.
class chat_stream {
 public:
  chat_stream(std::string id, std::string model, std::int64_t created, reply_shape shape,
              std::uint32_t prompt_tokens, bool include_usage);

  /// Number of frames.
  std::size_t frame_count() const noexcept { return 3 + shape_.tokens + (include_usage_ ? 1 : 0); }

  /// Frames [0, token_frames_end()) are the role chunk and the token chunks.
  std::size_t token_frames_end() const noexcept { return 1 + shape_.tokens; }

  /// The pacing slot of frame `j`: slot k is due k token intervals after the first byte.
  /// The role chunk and token 0 share slot 0; token i has slot i; the tail (final chunk,
  /// usage, [DONE]) goes out with the last token.
  std::uint32_t slot(std::size_t j) const noexcept;

  /// Appends frame `j` as `data: …\n\n`.
  void append_frame(std::size_t j, std::string& out) const;

  /// How many frames a `cut` after `after_tokens` token chunks lets through (role chunk
  /// included; never the final chunk, so a cut stream never ends well). nullopt = half the
  /// reply's tokens.
  std::size_t cut_frame_limit(std::optional<std::uint32_t> after_tokens) const noexcept;

  const reply_shape& shape() const noexcept { return shape_; }

 private:
  std::string id_;
  std::string model_;
  std::int64_t created_;
  reply_shape shape_;
  std::uint32_t prompt_tokens_;
  bool include_usage_;
};

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

// What one attempt sends upstream: the inbound request, in whatever dialect the client spoke,
// encoded for the target's dialect, with the path under the provider's base URL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/openai_request.hpp"
#include "protocols/result.hpp"

namespace switchyard::protocols {

/// One encoded upstream request.
struct upstream_request {
  /// Appended to the provider's base path: "/chat/completions", "/embeddings", "/messages", or
  /// for Gemini "/models/<model>:generateContent" (":streamGenerateContent?alt=sse").
  std::string path;
  std::string body;
  /// Request fields dropped because the target cannot honour them (only with
  /// `drop_unsupported`), as request paths (`messages[2].name`, `top_k`).
  std::vector<std::string> dropped;
};

/// How to encode one attempt.
struct upstream_target {
  dialect upstream = dialect::openai;
  std::string_view model;         ///< the target's model name
  bool drop_unsupported = false;  ///< the model's `drop_unsupported`
  /// A budget's output cap: the encoded request asks for at most this many output tokens (the
  /// client's own limit lowered to it, or added), in every dialect.
  std::optional<std::uint32_t> max_tokens;
  /// Same-dialect OpenAI requests: a cap the client did not ask for is added as `max_tokens`
  /// (servers that know only that name) instead of `max_completion_tokens`.
  bool legacy_max_tokens = false;
};

/// Encodes `req` for `target`. Same dialect: passthrough (only `model` and, for an OpenAI stream,
/// `stream_options.include_usage` are rewritten). Across dialects: through the canonical model,
/// so a field the target cannot honour is a 400 naming it (or dropped and listed). Embeddings
/// exist only in the OpenAI dialect: another target is a 400.
result<upstream_request, error_info> encode_upstream_request(const inbound_request& req,
                                                             const upstream_target& target);

}  // namespace switchyard::protocols

// Token usage as reported by an upstream, normalized across dialects.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace switchyard::protocols {

/// Normalized token counts of one response.
struct usage {
  std::uint32_t prompt_tokens = 0;
  std::uint32_t completion_tokens = 0;
  std::uint32_t cached_tokens = 0;     ///< prompt tokens served from a cache
  std::uint32_t reasoning_tokens = 0;  ///< part of completion_tokens spent on reasoning
  bool reported = false;               ///< false when the upstream said nothing about usage
  /// Prompt tokens written to a cache (Anthropic `cache_creation_input_tokens`); part of
  /// prompt_tokens. Last so that existing aggregate initializers keep their meaning.
  std::uint32_t cache_creation_tokens = 0;
};

/// Reads OpenAI's `usage` object (with `prompt_tokens_details.cached_tokens` and
/// `completion_tokens_details.reasoning_tokens`) from a whole response body or one stream chunk.
/// Returns nullopt when there is no usage object (or it is null) or the JSON is malformed.
std::optional<usage> extract_openai_usage(std::string_view json);

}  // namespace switchyard::protocols

// The dialect-independent vocabulary of the canonical model: finish reasons and reasoning effort
// in every dialect's words.
#include "protocols/canonical.hpp"

namespace switchyard::protocols {

std::string_view dialect_name(dialect d) noexcept {
  switch (d) {
    case dialect::openai:
      return "openai";
    case dialect::anthropic:
      return "anthropic";
    case dialect::gemini:
      return "gemini";
  }
  return "openai";
}

std::string_view openai_finish_reason(finish_reason r) noexcept {
  switch (r) {
    case finish_reason::length:
      return "length";
    case finish_reason::tool_calls:
      return "tool_calls";
    case finish_reason::content_filter:
      return "content_filter";
    case finish_reason::none:
    case finish_reason::stop:
    case finish_reason::other:
      return "stop";
  }
  return "stop";
}

std::string_view anthropic_stop_reason(finish_reason r) noexcept {
  switch (r) {
    case finish_reason::length:
      return "max_tokens";
    case finish_reason::tool_calls:
      return "tool_use";
    case finish_reason::content_filter:
      return "refusal";
    case finish_reason::none:
    case finish_reason::stop:
    case finish_reason::other:
      return "end_turn";
  }
  return "end_turn";
}

finish_reason from_openai_finish(std::string_view raw) noexcept {
  if (raw.empty()) return finish_reason::none;
  if (raw == "stop") return finish_reason::stop;
  if (raw == "length") return finish_reason::length;
  if (raw == "tool_calls" || raw == "function_call") return finish_reason::tool_calls;
  if (raw == "content_filter") return finish_reason::content_filter;
  return finish_reason::other;
}

finish_reason from_anthropic_stop(std::string_view raw) noexcept {
  if (raw.empty()) return finish_reason::none;
  if (raw == "end_turn" || raw == "stop_sequence" || raw == "pause_turn")
    return finish_reason::stop;
  if (raw == "max_tokens" || raw == "model_context_window_exceeded") return finish_reason::length;
  if (raw == "tool_use") return finish_reason::tool_calls;
  if (raw == "refusal") return finish_reason::content_filter;
  return finish_reason::other;
}

finish_reason from_gemini_finish(std::string_view raw) noexcept {
  if (raw.empty() || raw == "FINISH_REASON_UNSPECIFIED") return finish_reason::none;
  if (raw == "STOP") return finish_reason::stop;
  if (raw == "MAX_TOKENS") return finish_reason::length;
  for (std::string_view filtered : {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
                                    "SPII", "IMAGE_SAFETY", "LANGUAGE"}) {
    if (raw == filtered) return finish_reason::content_filter;
  }
  return finish_reason::other;
}

// Budgets follow Google's own mapping for its OpenAI-compatible endpoint, which is also within
// Anthropic's documented range (at least 1024).
std::optional<std::uint32_t> effort_budget(std::string_view effort) noexcept {
  if (effort == "none" || effort == "minimal") return 0;
  if (effort == "low") return 1024;
  if (effort == "medium") return 8192;
  if (effort == "high" || effort == "xhigh") return 24576;
  return std::nullopt;
}

std::string_view budget_effort(std::uint32_t budget_tokens) noexcept {
  if (budget_tokens <= 2048) return "low";
  if (budget_tokens <= 12288) return "medium";
  return "high";
}

}  // namespace switchyard::protocols

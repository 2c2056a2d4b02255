// The dialect-neutral reply: the tool decision, the script, the reply tokens and the estimate.
#include "bench/mock_provider/reply_script.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace switchyard::mock {

namespace {

// Cut where a tokenizer would, so that a client's JSON accumulation sees real partial JSON.
constexpr std::array<std::string_view, tool_argument_pieces> argument_pieces = {
    R"({")", "query", R"(":")", "mock", R"("})"};

}  // namespace

std::string tool_to_call(const tool_offer& offer) {
  if (offer.first_tool.empty()) return {};
  switch (offer.mode) {
    case tool_mode::none:
      return {};
    case tool_mode::specific:
      return offer.forced_tool.empty() ? offer.first_tool : offer.forced_tool;
    case tool_mode::required:
      return offer.first_tool;
    case tool_mode::automatic:
      break;
  }
  return offer.prompted ? offer.first_tool : std::string{};
}

std::string_view tool_argument_piece(std::uint32_t i) noexcept {
  return i < argument_pieces.size() ? argument_pieces[i] : std::string_view{};
}

reply_script script_reply(std::uint32_t reply_tokens, const reply_request& req) {
  reply_script s;
  s.prompt_tokens = req.prompt_tokens;
  if (!req.tool.empty()) {
    s.end = protocols::finish_reason::tool_calls;
    s.tool_name = req.tool;
  } else if (req.max_tokens && *req.max_tokens < reply_tokens) {
    s.tokens = *req.max_tokens;
    s.end = protocols::finish_reason::length;
  } else {
    s.tokens = reply_tokens;
  }
  return s;
}

void append_reply_token(std::string& out, std::uint32_t i) {
  if (i > 0) out += ' ';
  out += "token";
  char digits[16];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, i);
  out.append(digits, end);
}

std::string reply_text(std::uint32_t tokens) {
  std::string s;
  // "token" + up to 7 digits + a space.
  s.reserve(static_cast<std::size_t>(tokens) * 12);
  for (std::uint32_t i = 0; i < tokens; ++i) append_reply_token(s, i);
  return s;
}

std::uint32_t estimate_tokens(std::size_t bytes) noexcept {
  constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(std::clamp<std::size_t>(bytes / 4 + (bytes % 4 != 0), 1, most));
}

}  // namespace switchyard::mock

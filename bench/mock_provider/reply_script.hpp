// What the mock provider answers, whatever the dialect: the reply's text tokens or its tool call,
// why it ends, and its usage. Each dialect's decoder reduces a request to a `reply_request`, and
// each dialect's writer (responses.hpp for OpenAI, anthropic_replies.hpp, gemini_replies.hpp)
// renders the same `reply_script`, so one request gets the same reply in every dialect.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocols/canonical.hpp"
#include "protocols/error.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// A request the mock refuses, in dialect-neutral form (each dialect writes its own error body).
struct request_error {
  unsigned status = 400;
  std::string message;
  /// The field at fault (OpenAI's `param`; the other dialects have no place for it).
  std::string param;
};

/// How a request lets the model use tools: each dialect's tool choice, normalized.
enum class tool_mode : std::uint8_t {
  automatic,  ///< the model decides: the mock calls a tool only when the prompt asks it to
  none,       ///< never call a tool
  required,   ///< call some tool (OpenAI "required", Anthropic "any", Gemini ANY)
  specific,   ///< call `forced_tool`
};

/// The text in the last user message that makes the mock call a tool under `automatic`.
inline constexpr std::string_view tool_call_trigger = "call tool";

/// What a request says about tools: enough to decide whether the reply is a tool call.
struct tool_offer {
  std::string first_tool;  ///< the name of the first function tool defined; empty when none
  tool_mode mode = tool_mode::automatic;
  std::string forced_tool;  ///< for `specific`
  /// The conversation ends with a user message whose text contains `tool_call_trigger` (a
  /// conversation that ends with a tool result is not asking for another call).
  bool prompted = false;
};

/// The tool the reply calls, or empty for a text reply: none without tools or under `none`; the
/// forced tool under `specific`; the first tool under `required`, or under `automatic` when
/// `prompted`.
std::string tool_to_call(const tool_offer& offer);

/// What the mock needs of a request in any dialect.
struct reply_request {
  std::string model;
  bool stream = false;
  /// OpenAI `stream_options.include_usage`; the other dialects always report usage.
  bool include_usage = true;
  /// The request's output-token limit, when given.
  std::optional<std::uint32_t> max_tokens;
  /// The prompt-token estimate (about four bytes of text a token).
  std::uint32_t prompt_tokens = 0;
  /// The tool the reply calls (tool_to_call); empty for a text reply.
  std::string tool;
};

/// Reduces what a protocols decoder made of a request (an inbound_request or a
/// canonical_request: they name these fields alike) to a reply_request, the tool decided by
/// `offer_of(decoded)`; a decoder's error keeps its status, message and field.
template <class Decoded, class OfferOf>
protocols::result<reply_request, request_error> reduce_request(
    const protocols::result<Decoded, protocols::error_info>& decoded, OfferOf&& offer_of) {
  if (!decoded) {
    const auto& e = decoded.error();
    return request_error{protocols::http_status(e.code), e.message, e.param};
  }
  const auto& in = decoded.value();
  reply_request r;
  r.model = in.model;
  r.stream = in.stream;
  r.max_tokens = in.max_tokens;
  r.prompt_tokens = in.prompt_tokens_estimate;
  r.tool = tool_to_call(offer_of(in));
  return r;
}

/// Every tool call's arguments: a small fixed object, so tests know what to expect.
inline constexpr std::string_view tool_call_arguments = R"({"query":"mock"})";

/// A tool call's arguments stream in this many pieces, and count as this many output tokens.
inline constexpr std::uint32_t tool_argument_pieces = 5;

/// Piece `i` (< tool_argument_pieces) of tool_call_arguments; the pieces concatenate to it.
std::string_view tool_argument_piece(std::uint32_t i) noexcept;

/// The reply to one request, before any dialect writes it.
struct reply_script {
  /// Text tokens ("token0 token1 …"); 0 for a tool call.
  std::uint32_t tokens = 0;
  /// stop, length (the request's limit cut the text short) or tool_calls.
  protocols::finish_reason end = protocols::finish_reason::stop;
  /// The tool called, when `end` is tool_calls.
  std::string tool_name;
  /// The prompt-token estimate, reported as the usage's input tokens.
  std::uint32_t prompt_tokens = 0;

  bool calls_tool() const noexcept { return end == protocols::finish_reason::tool_calls; }
  /// The pieces a stream carries (text tokens, or the arguments' pieces), which are also the
  /// output tokens every dialect reports.
  std::uint32_t pieces() const noexcept { return calls_tool() ? tool_argument_pieces : tokens; }
};

/// One reply ready to be written: the script and what names it.
struct reply_context {
  std::string id;            ///< the response id, in its dialect's form
  std::string tool_call_id;  ///< the tool call's id (OpenAI, Anthropic; Gemini sends none)
  std::string model;         ///< echoed from the request
  std::int64_t created = 0;  ///< Unix seconds
  reply_script script;
  bool include_usage = true;  ///< see reply_request
};

/// One step of a streamed reply, whatever the dialect; a dialect writes each step as one frame
/// (one or more SSE events), and leaves out the steps it has no event for.
enum class stream_step : std::uint8_t {
  open,    ///< before the first piece: OpenAI's role chunk; Anthropic's message and block start
  piece,   ///< one text token, or one piece of the tool call
  finish,  ///< why the reply ended (with the usage where the dialect puts it there)
  usage,   ///< the usage on its own (OpenAI, with include_usage)
  done,    ///< the end marker: OpenAI's [DONE], Anthropic's message_stop
};

/// Which steps a dialect's stream has: [open] piece×pieces finish [usage] [done].
struct frame_layout {
  bool open = true;
  std::uint32_t pieces = 0;
  bool usage = false;
  bool done = true;
};

/// The reply to `req`: a call of `req.tool` when set (whole, whatever the request's limit), else
/// `reply_tokens` text tokens capped by `req.max_tokens` (then ending with `length`).
reply_script script_reply(std::uint32_t reply_tokens, const reply_request& req);

/// Appends token `i` of the reply: "token0", then " token1", " token2", ... so that the tokens
/// of a stream concatenate to the whole non-stream reply.
void append_reply_token(std::string& out, std::uint32_t i);

/// The whole reply text of `tokens` tokens ("token0 token1 ...").
std::string reply_text(std::uint32_t tokens);

/// The token estimate of `bytes` bytes of text: a quarter, rounded up, and at least one (the
/// rule the gateway's own prompt estimate follows).
std::uint32_t estimate_tokens(std::size_t bytes) noexcept;

}  // namespace switchyard::mock

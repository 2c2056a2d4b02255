// The canonical request and response model: every dialect codec (OpenAI chat, Anthropic
// Messages, Gemini) decodes into these types and encodes from them. See docs/dialects.md for the
// field-by-field mapping.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "protocols/usage.hpp"

namespace switchyard::protocols {

/// The API dialects the gateway speaks.
enum class dialect : std::uint8_t {
  openai,     ///< OpenAI chat completions
  anthropic,  ///< Anthropic Messages
  gemini,     ///< Google Gemini generateContent
};

/// "openai", "anthropic" or "gemini".
std::string_view dialect_name(dialect d) noexcept;

/// One member a decoder kept verbatim because the canonical model has no place for it.
struct extra_member {
  std::string key;   ///< the member name
  std::string json;  ///< the member value as JSON text
  /// The nested object it sat in, relative to its owner (OpenAI's `function` inside a tool,
  /// `image_url` inside a part, `json_schema` inside `response_format`); empty for the owner.
  std::string within;
};

/// Members kept verbatim, in their original order. A same-dialect encoder writes them back where
/// they came from; an encoder for another dialect cannot honour them, so it refuses (400 naming
/// the member) or, with `drop_unsupported`, drops and lists them.
using extra_members = std::vector<extra_member>;

/// Who wrote a message.
enum class message_role : std::uint8_t {
  system,     ///< instructions (Anthropic `system`, Gemini `systemInstruction`)
  developer,  ///< OpenAI's newer name for system instructions; mapped like `system` elsewhere
  user,
  assistant,
  tool,  ///< the result of one tool call (`tool_call_id` says which)
};

/// What one content part holds.
enum class part_kind : std::uint8_t {
  text,               ///< `text`
  image_url,          ///< an image by URL: `text` is the URL, `media_type` when known
  image_base64,       ///< an inline image: `text` is the base64 data, `media_type` its type
  thinking,           ///< reasoning text (`text`) and its `signature` (empty when none)
  redacted_thinking,  ///< encrypted reasoning: `text` is the opaque data
  opaque,             ///< a block only its own dialect knows: `text` is its raw JSON
};

/// One piece of a message's content.
struct content_part {
  part_kind kind = part_kind::text;  ///< what the part holds
  std::string text;                  ///< see part_kind
  std::string media_type;            ///< image media type, e.g. "image/png"
  std::string signature;             ///< thinking signature (Anthropic)
  std::string detail;  ///< OpenAI image `detail` ("auto", "low", "high"); empty when absent
  /// Index of the part in the client's content array when it differs from its index here.
  std::uint32_t source_index = std::numeric_limits<std::uint32_t>::max();
  /// Other members of the part (Anthropic `cache_control`, …; OpenAI: also of `image_url`).
  extra_members extras;
};

/// How a message's content was written, so that a same-dialect encode writes it the same way.
enum class content_form : std::uint8_t {
  parts,   ///< an array of parts
  string,  ///< a plain string (one text part)
  null,    ///< `null` (an OpenAI assistant turn that only calls tools)
  absent,  ///< no `content` member at all
};

/// No position: the tool call follows all content parts.
inline constexpr std::uint32_t after_content = std::numeric_limits<std::uint32_t>::max();

/// One tool call made by the assistant.
struct tool_call {
  std::string id;  ///< the call id (OpenAI `id`, Anthropic `tool_use.id`, Gemini `functionCall.id`)
  std::string name;       ///< the function name
  std::string arguments;  ///< the arguments as JSON text (an object for every dialect but OpenAI)
  /// How many content parts came before this call in the original block order (Anthropic
  /// interleaves text and tool_use blocks); `after_content` when unknown.
  std::uint32_t position = after_content;
  /// Anthropic: index of the tool_use block in the client's content array.
  std::uint32_t source_index = std::numeric_limits<std::uint32_t>::max();
  /// Other members (Anthropic: the tool_use block's; OpenAI: the call's and its `function`'s).
  extra_members extras;
};

/// One message of the conversation.
struct message {
  message_role role = message_role::user;  ///< who wrote it
  std::vector<content_part> content;       ///< the parts, in order
  content_form form =
      content_form::parts;            ///< how the content was written (for a same-dialect encode)
  std::vector<tool_call> tool_calls;  ///< assistant only
  std::string tool_call_id;           ///< tool only: the call this answers
  std::string name;                   ///< OpenAI participant `name`; empty when absent
  std::optional<bool> is_error;       ///< tool only: Anthropic `is_error`
  /// Set on a message that shares one wire message with the previous one (Anthropic puts
  /// several tool results and text in one user turn); same-dialect encoders regroup on it.
  bool joins_previous = false;
  /// Where the message sits in the client's request, for errors that name a field: e.g.
  /// "messages[3]", "system", or "messages[3].content[0]" for an Anthropic tool result. Empty
  /// means "messages[<index here>]".
  std::string source;
  /// The parts' array is `source` itself (Anthropic `system`), not `source.content`.
  bool parts_at_source = false;
  extra_members extras;  ///< other members (for an Anthropic tool result: the block's)
};

/// A tool the model may call.
struct tool_definition {
  std::string name;            ///< the function name
  std::string description;     ///< empty when not given
  std::string parameters;      ///< JSON schema text; empty when not given
  std::optional<bool> strict;  ///< OpenAI `strict`
  std::string raw;             ///< non-empty for a tool only its dialect knows (its raw JSON)
  /// Other members of the definition (OpenAI: of the wrapper and of its `function`).
  extra_members extras;
};

/// How the model may use tools.
enum class tool_choice_mode : std::uint8_t {
  automatic,  ///< the model decides
  none,       ///< no tool calls
  required,   ///< at least one tool call (Anthropic "any", Gemini ANY)
  specific,   ///< exactly the tool `name`
  opaque,     ///< a form only its own dialect knows (`raw`)
};

/// `tool_choice`.
struct tool_choice {
  tool_choice_mode mode = tool_choice_mode::automatic;  ///< the mode
  std::string name;                                     ///< for `specific`
  std::string raw;                                      ///< for `opaque`: the raw JSON
  bool as_string = false;  ///< OpenAI: written as "auto"/"none"/"required" rather than an object
  extra_members extras;    ///< other members of the object
};

/// `response_format`.
enum class response_format_kind : std::uint8_t { text, json_object, json_schema };

/// The requested output format.
struct response_format {
  response_format_kind kind = response_format_kind::text;  ///< text, json_object or json_schema
  std::string name;                                        ///< json_schema name
  std::string description;                                 ///< json_schema description
  std::string schema;                                      ///< json_schema schema as JSON text
  std::optional<bool> strict;                              ///< `strict`, when given
  /// Other members of `response_format` and of its `json_schema`.
  extra_members extras;
};

/// Reasoning controls; either or both of OpenAI's effort and Anthropic's thinking budget.
struct reasoning_config {
  std::string effort;            ///< OpenAI `reasoning_effort` as sent; empty = not given
  std::optional<bool> thinking;  ///< Anthropic `thinking.type` enabled (true) / disabled
  std::optional<std::uint32_t> budget_tokens;  ///< Anthropic `thinking.budget_tokens`
  extra_members extras;                        ///< other members of Anthropic's `thinking`
  bool given() const noexcept { return !effort.empty() || thinking.has_value(); }
};

/// Which member carried the output-token limit (OpenAI has two names for it).
enum class max_tokens_field : std::uint8_t { max_tokens, max_completion_tokens };

/// The canonical request.
struct canonical_request {
  dialect origin = dialect::openai;    ///< the dialect it was decoded from
  std::string model;                   ///< the model name as the client or upstream gave it
  std::vector<message> messages;       ///< system/developer messages included, in order
  std::vector<tool_definition> tools;  ///< the tools offered
  std::optional<protocols::tool_choice> tool_choice;  ///< `tool_choice`, when given
  std::optional<bool> parallel_tool_calls;            ///< OpenAI `parallel_tool_calls`; Anthropic
                                                      ///< `!disable_parallel_tool_use`
  std::optional<protocols::response_format> response_format;  ///< `response_format`, when given
  std::vector<std::string> stop;                              ///< stop sequences
  bool stop_as_string = false;        ///< OpenAI: `stop` was a single string
  std::optional<double> temperature;  ///< sampling temperature
  std::optional<double> top_p;        ///< nucleus sampling
  std::optional<std::uint32_t> top_k;
  std::optional<std::int64_t> seed;
  std::optional<std::uint32_t> n;
  std::optional<double> frequency_penalty;  ///< OpenAI/Gemini repetition penalty
  std::optional<double> presence_penalty;   ///< OpenAI/Gemini repetition penalty
  std::optional<std::uint32_t> max_tokens;
  max_tokens_field max_tokens_name =
      max_tokens_field::max_tokens;     ///< which OpenAI name carried it
  reasoning_config reasoning;           ///< reasoning controls
  std::optional<std::string> user;      ///< OpenAI `user`, Anthropic `metadata.user_id`
  bool stream = false;                  ///< a streaming request
  std::optional<bool> include_usage;    ///< OpenAI `stream_options.include_usage`
  extra_members stream_options_extras;  ///< other members of `stream_options`
  extra_members metadata_extras;        ///< Anthropic: other members of `metadata`
  extra_members extras;                 ///< other top-level members
  /// A cheap estimate of the prompt's tokens (about 4 bytes of text per token), for budgets.
  std::uint32_t prompt_tokens_estimate = 0;
  /// The request as the client sent it (for same-dialect passthrough); may be null.
  std::shared_ptr<const rapidjson::Document> original;
};

/// Why generation stopped, normalized.
enum class finish_reason : std::uint8_t {
  none,            ///< not finished / not reported
  stop,            ///< natural end or a stop sequence
  length,          ///< the output-token limit
  tool_calls,      ///< the model called tools
  content_filter,  ///< a safety filter or refusal
  other,           ///< anything else (the raw reason says what)
};

/// OpenAI's `finish_reason` for `r` ("stop", "length", "tool_calls", "content_filter"); `other`
/// and `none` become "stop" (OpenAI clients know no other values).
std::string_view openai_finish_reason(finish_reason r) noexcept;
/// Anthropic's `stop_reason` for `r` ("end_turn", "max_tokens", "tool_use", "refusal").
std::string_view anthropic_stop_reason(finish_reason r) noexcept;
/// Normalizes an OpenAI `finish_reason` ("function_call" counts as tool_calls).
finish_reason from_openai_finish(std::string_view raw) noexcept;
/// Normalizes an Anthropic `stop_reason` (end_turn, stop_sequence, pause_turn → stop; max_tokens,
/// model_context_window_exceeded → length; tool_use → tool_calls; refusal → content_filter).
finish_reason from_anthropic_stop(std::string_view raw) noexcept;
/// Normalizes a Gemini `finishReason` (STOP → stop; MAX_TOKENS → length; SAFETY, RECITATION,
/// BLOCKLIST, PROHIBITED_CONTENT, SPII, IMAGE_SAFETY, LANGUAGE → content_filter; else other).
/// A STOP with function calls in the candidate is reported by the caller as tool_calls.
finish_reason from_gemini_finish(std::string_view raw) noexcept;

/// The thinking budget used for an OpenAI `reasoning_effort` sent to a dialect that takes a
/// budget: minimal/none → 0 (no thinking), low → 1024, medium → 8192, high/xhigh → 24576;
/// nullopt for an unknown effort.
std::optional<std::uint32_t> effort_budget(std::string_view effort) noexcept;
/// The OpenAI `reasoning_effort` for a thinking budget: ≤ 2048 → "low", ≤ 12288 → "medium",
/// else "high".
std::string_view budget_effort(std::uint32_t budget_tokens) noexcept;

/// One generated answer.
struct response_choice {
  std::uint32_t index = 0;
  std::vector<content_part> content;  ///< text, thinking, redacted_thinking (opaque: others)
  content_form form = content_form::string;
  std::vector<tool_call> tool_calls;           ///< the tool calls made
  finish_reason finish = finish_reason::none;  ///< why it stopped, normalized
  std::string raw_finish;                      ///< the upstream's own reason, verbatim
  std::optional<std::string> stop_sequence;    ///< Anthropic: the stop sequence that matched
  extra_members extras;          ///< other members of the choice (OpenAI `logprobs`, …)
  extra_members message_extras;  ///< other members of the OpenAI message (`refusal`, …)
};

/// The canonical (non-streaming) response.
struct canonical_response {
  dialect origin = dialect::openai;      ///< the dialect it was decoded from
  std::string id;                        ///< the response id
  std::string model;                     ///< the model name as the client or upstream gave it
  std::int64_t created = 0;              ///< Unix seconds; 0 when the dialect does not say
  std::vector<response_choice> choices;  ///< the answers (one unless `n` > 1)
  protocols::usage usage;                ///< normalized usage
  std::string usage_raw;  ///< the upstream's usage object verbatim (same-dialect re-encode)
  extra_members extras;   ///< other top-level members
};

/// What an encoder produced: the body, and the fields it dropped (only with drop_unsupported, or
/// for responses, which cannot be refused), named as request paths.
struct encoded_body {
  std::string body;                  ///< the encoded JSON
  std::vector<std::string> dropped;  ///< dropped fields, as paths (e.g. `messages[2].name`)
};

}  // namespace switchyard::protocols

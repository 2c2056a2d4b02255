// Anthropic Messages stream -> OpenAI chat.completion.chunk stream (an OpenAI client served by an
// Anthropic provider).
#pragma once

#include <string>
#include <vector>

#include "protocols/sse.hpp"
#include "protocols/stream_detail.hpp"
#include "protocols/stream_translator.hpp"

namespace switchyard::protocols {

/// Event by event:
/// - `message_start` -> the role chunk (`{"role":"assistant","content":""}`); its id and model
///   (or stream_options::model) head every chunk; its usage gives the prompt tokens (input plus
///   cache creation plus cache read; cached = cache read).
/// - `content_block_start` of a `tool_use` -> a tool_calls delta with `index` (its number among
///   the message's tool calls), `id`, `type` and `function.name`; text and thinking blocks start
///   silently (their first text, if any, is sent as a delta).
/// - `content_block_delta`: `text_delta` -> `content`; `input_json_delta` -> that tool call's
///   `function.arguments`; `thinking_delta` -> `reasoning_content` (the field DeepSeek and vLLM
///   use; OpenAI clients ignore it); `signature_delta` and `citations_delta` are not forwarded.
/// - `message_delta` -> a chunk with `finish_reason` (end_turn/stop_sequence -> stop,
///   max_tokens -> length, tool_use -> tool_calls, refusal -> content_filter) and the output
///   tokens (and any updated input counts).
/// - `message_stop` -> the usage chunk when the client asked for it, then `data: [DONE]`.
/// - `error` -> an OpenAI error event and no `[DONE]` (state upstream_error).
/// - `ping`, `content_block_stop` and unknown event types write nothing.
class anthropic_to_openai_stream final : public stream_translator {
 public:
  explicit anthropic_to_openai_stream(const stream_options& opts);

  relay_state feed(std::string_view upstream_bytes, std::string& out) override;
  /// True only after `message_stop`.
  bool finish_eof(std::string& out) override;
  std::uint32_t events() const noexcept override { return events_; }
  const usage& last_usage() const noexcept override { return usage_; }
  relay_state state() const noexcept override { return state_; }
  finish_reason finish() const noexcept override { return finish_; }
  void append_error_event(const error_info& e, std::string& out) const override;

 private:
  enum class block_kind : std::uint8_t { unknown, text, thinking, tool, ignored };
  struct block {
    block_kind kind = block_kind::unknown;
    std::uint32_t tool = 0;  // the OpenAI tool call index, for tool blocks
  };

  void on_event(const sse_event& ev, std::string& out);
  bool on_message_start(const rapidjson::Value& root, std::string& out);
  bool on_block_start(const rapidjson::Value& root, std::string& out);
  bool on_block_delta(const rapidjson::Value& root, std::string& out);
  void on_message_delta(const rapidjson::Value& root, std::string& out);
  void on_message_stop(std::string& out);
  void on_error(const rapidjson::Value& root, std::string& out);

  sse_parser parser_;
  stream_detail::json_scratch json_;
  stream_detail::openai_chunk_writer chunks_;
  std::string model_;
  std::int64_t created_;
  bool include_usage_;
  std::vector<block> blocks_;  // by Anthropic content block index
  std::uint32_t tool_calls_ = 0;
  std::uint32_t events_ = 0;
  usage usage_;
  finish_reason finish_ = finish_reason::none;
  relay_state state_ = relay_state::open;
};

}  // namespace switchyard::protocols

// OpenAI chat.completion.chunk stream -> Anthropic Messages stream (an Anthropic client on the
// /v1/messages ingress served by an OpenAI-dialect provider, or by any provider whose stream was
// first turned into OpenAI chunks).
#pragma once

#include <string>
#include <vector>

#include "protocols/sse.hpp"
#include "protocols/stream_detail.hpp"
#include "protocols/stream_translator.hpp"

namespace switchyard::protocols {

/// Chunk by chunk (choice 0 only: an Anthropic request never asks for more):
/// - the first chunk -> `message_start` (id and model from the chunk, or stream_options::model;
///   usage as known so far, which for OpenAI is nothing: the counts arrive in `message_delta`);
/// - `delta.content` -> a text block (content_block_start once, then text_delta);
///   `delta.reasoning_content` (or `reasoning`) -> a thinking block (thinking_delta; no
///   signature exists to forward); a new `delta.tool_calls[].index` -> a tool_use block with its
///   id and name, and its `function.arguments` -> input_json_delta. A block is stopped when the
///   next one starts, as Anthropic does; a late argument delta for an earlier tool call is still
///   sent on that call's block index;
/// - `finish_reason` -> the stop_reason (stop -> end_turn, length -> max_tokens, tool_calls /
///   function_call -> tool_use, content_filter -> refusal); `usage` -> the counts;
/// - `[DONE]` -> content_block_stop for the open block, `message_delta` (stop_reason and usage:
///   input, cache read and output tokens), `message_stop`;
/// - an `{"error":…}` event -> an Anthropic `error` event (state upstream_error).
class openai_to_anthropic_stream final : public stream_translator {
 public:
  explicit openai_to_anthropic_stream(const stream_options& opts);

  relay_state feed(std::string_view upstream_bytes, std::string& out) override;
  /// True only after `[DONE]`.
  bool finish_eof(std::string& out) override;
  std::uint32_t events() const noexcept override { return events_; }
  const usage& last_usage() const noexcept override { return usage_; }
  relay_state state() const noexcept override { return state_; }
  finish_reason finish() const noexcept override { return finish_; }
  void append_error_event(const error_info& e, std::string& out) const override;

 private:
  enum class block_kind : std::uint8_t { none, text, thinking, tool };

  void on_event(const sse_event& ev, std::string& out);
  bool on_chunk(const rapidjson::Value& root, std::string& out);
  bool on_delta(const rapidjson::Value& delta, std::string& out);
  bool on_tool_call(const rapidjson::Value& call, std::string& out);
  void open_block(block_kind kind, std::string& out);
  void close_block(std::string& out);
  void start_message(std::string_view id, std::string_view model, std::string& out);
  void on_done(std::string& out);

  sse_parser parser_;
  stream_detail::json_scratch json_;
  std::string model_;
  std::string seed_;
  bool started_ = false;
  block_kind open_ = block_kind::none;
  std::uint32_t open_index_ = 0;
  std::uint32_t next_index_ = 0;            // the next Anthropic block index
  std::vector<std::uint32_t> tool_blocks_;  // OpenAI tool call index -> Anthropic block index
  std::uint32_t events_ = 0;
  usage usage_;
  finish_reason finish_ = finish_reason::none;
  relay_state state_ = relay_state::open;
};

}  // namespace switchyard::protocols

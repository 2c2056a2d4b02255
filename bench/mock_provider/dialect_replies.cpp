// Dispatch of one reply to its dialect's writer, and the dialect-neutral frame sequence.
#include "bench/mock_provider/dialect_replies.hpp"

#include <algorithm>

#include "bench/mock_provider/anthropic_replies.hpp"
#include "bench/mock_provider/gemini_replies.hpp"
#include "bench/mock_provider/responses.hpp"

namespace switchyard::mock {

namespace {

// What each dialect writes; everything around it (ids, order, pacing, cuts) is shared.
struct dialect_writer {
  frame_layout (*layout)(const reply_context&);
  void (*append_frame)(const reply_context&, stream_step, std::uint32_t, std::string&);
  std::string (*body)(const reply_context&);
  std::string (*error)(unsigned, std::string_view, std::string_view);
};

const dialect_writer openai_writer = {openai_layout, append_openai_frame, chat_completion_body,
                                      error_body};
const dialect_writer anthropic_writer = {
    anthropic_layout, append_anthropic_frame, anthropic_message_body,
    [](unsigned status, std::string_view message, std::string_view) {
      return anthropic_error_body(status, message);
    }};
const dialect_writer gemini_writer = {
    gemini_layout, append_gemini_frame, gemini_response_body,
    [](unsigned status, std::string_view message, std::string_view) {
      return gemini_error_body(status, message);
    }};

const dialect_writer& writer_for(protocols::dialect d) {
  switch (d) {
    case protocols::dialect::anthropic:
      return anthropic_writer;
    case protocols::dialect::gemini:
      return gemini_writer;
    case protocols::dialect::openai:
      break;
  }
  return openai_writer;
}

}  // namespace

reply_context make_reply(protocols::dialect d, std::uint64_t n, std::int64_t created,
                         std::uint32_t reply_tokens, const reply_request& req) {
  const auto number = std::to_string(n);
  const bool calls = !req.tool.empty();  // no tool call id to build on the benchmark path
  reply_context r;
  switch (d) {
    case protocols::dialect::anthropic:
      r.id = "msg_mock_" + number;
      if (calls) r.tool_call_id = "toolu_mock_" + number;
      break;
    case protocols::dialect::gemini:
      r.id = "mock-" + number;
      break;
    case protocols::dialect::openai:
      r.id = "chatcmpl-mock-" + number;
      if (calls) r.tool_call_id = "call_mock_" + number;
      break;
  }
  r.model = req.model;
  r.created = created;
  r.script = script_reply(reply_tokens, req);
  r.include_usage = req.include_usage;
  return r;
}

std::string reply_body(protocols::dialect d, const reply_context& r) {
  return writer_for(d).body(r);
}

std::string dialect_error_body(protocols::dialect d, unsigned status, std::string_view message,
                               std::string_view param) {
  return writer_for(d).error(status, message, param);
}

reply_stream::reply_stream(protocols::dialect d, reply_context reply)
    : dialect_(d), reply_(std::move(reply)), layout_(writer_for(d).layout(reply_)) {}

stream_step reply_stream::step_of(std::size_t j, std::uint32_t& piece) const noexcept {
  if (layout_.open) {
    if (j == 0) return stream_step::open;
    --j;
  }
  if (j < layout_.pieces) {
    piece = static_cast<std::uint32_t>(j);
    return stream_step::piece;
  }
  j -= layout_.pieces;
  if (j == 0) return stream_step::finish;
  if (layout_.usage && j == 1) return stream_step::usage;
  return stream_step::done;
}

std::uint32_t reply_stream::slot(std::size_t j) const noexcept {
  std::uint32_t piece = 0;
  switch (step_of(j, piece)) {
    case stream_step::open:
      return 0;
    case stream_step::piece:
      return piece;
    default:
      return layout_.pieces == 0 ? 0 : layout_.pieces - 1;
  }
}

void reply_stream::append_frame(std::size_t j, std::string& out) const {
  std::uint32_t piece = 0;
  const auto step = step_of(j, piece);
  writer_for(dialect_).append_frame(reply_, step, piece, out);
}

std::size_t reply_stream::cut_frame_limit(
    std::optional<std::uint32_t> after_pieces) const noexcept {
  std::uint32_t n = after_pieces ? *after_pieces : layout_.pieces / 2;
  return (layout_.open ? 1 : 0) + static_cast<std::size_t>(std::min(n, layout_.pieces));
}

}  // namespace switchyard::mock

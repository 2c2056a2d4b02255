// Relays an upstream Anthropic Messages stream to an Anthropic client event by event, learning
// the usage, the stop reason and the end of the stream on the way.
#pragma once

#include "protocols/sse.hpp"
#include "protocols/stream_detail.hpp"
#include "protocols/stream_translator.hpp"

namespace switchyard::protocols {

/// Events pass through re-framed but unchanged (`event:` name and data); `ping` passes too (it
/// keeps the client's connection alive). Only `message_start`, `message_delta`, `message_stop`
/// and `error` are parsed: usage comes from message_start (input and cache counts) and
/// message_delta (output, and any updated counts); message_stop ends the stream (done); an
/// error event is relayed and ends it (upstream_error). Data that is not a JSON object makes the
/// stream malformed and is not relayed.
class anthropic_stream_relay final : public stream_translator {
 public:
  explicit anthropic_stream_relay(const stream_options& opts);

  relay_state feed(std::string_view upstream_bytes, std::string& out) override;
  /// True only after `message_stop`.
  bool finish_eof(std::string& out) override;
  std::uint32_t events() const noexcept override { return events_; }
  const usage& last_usage() const noexcept override { return usage_; }
  relay_state state() const noexcept override { return state_; }
  finish_reason finish() const noexcept override { return finish_; }
  void append_error_event(const error_info& e, std::string& out) const override;

 private:
  void on_event(const sse_event& ev, std::string& out);

  sse_parser parser_;
  stream_detail::json_scratch json_;
  std::uint32_t events_ = 0;
  usage usage_;
  finish_reason finish_ = finish_reason::none;
  relay_state state_ = relay_state::open;
};

}  // namespace switchyard::protocols

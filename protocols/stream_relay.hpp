// Relays an upstream OpenAI SSE stream to an OpenAI client, chunk by chunk, learning the usage on
// the way and hiding the usage chunk the gateway asked for when the client did not.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocols/sse.hpp"
#include "protocols/usage.hpp"

namespace switchyard::protocols {

/// What the relay has seen so far.
enum class relay_state : std::uint8_t {
  open,            ///< events are flowing
  done,            ///< `data: [DONE]` seen: the stream ended well
  upstream_error,  ///< the upstream sent an `{"error":…}` event (already relayed to the client)
  malformed,       ///< the bytes are not a valid event stream (an event over the size limit)
};

/// Stateful per-stream relay; one per attempt. Not thread-safe (lives on one strand).
class openai_stream_relay {
 public:
  /// `client_wants_usage`: the client sent `stream_options.include_usage: true`.
  explicit openai_stream_relay(bool client_wants_usage, std::size_t max_event_bytes = 1 << 20);

  /// Feeds upstream bytes and appends what the client must receive to `out` (re-framed events;
  /// the usage-only chunk is dropped unless the client asked for usage; a `usage` field on
  /// content chunks is removed then too). Returns the state after these bytes.
  relay_state feed(std::string_view upstream_bytes, std::string& out);

  /// Number of data events seen (not counting `[DONE]`); zero means an empty stream so far.
  std::uint32_t events() const noexcept { return events_; }
  /// The latest usage seen on any chunk.
  const usage& last_usage() const noexcept { return usage_; }
  relay_state state() const noexcept { return state_; }

 private:
  // Decides what the client gets for one upstream event.
  void relay_event(const sse_event& ev, std::string& out);
  // Re-frames a chunk without its usage, or drops it when it is the usage-only chunk.
  void relay_without_usage(const sse_event& ev, std::string& out);

  sse_parser parser_;
  bool client_wants_usage_;
  std::uint32_t events_ = 0;
  usage usage_;
  relay_state state_ = relay_state::open;
};

}  // namespace switchyard::protocols

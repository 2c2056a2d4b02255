// Accounting for one streamed chat completion: time to the first content chunk, the gaps
// between content chunks, usage, and how the stream ended ([DONE], an error event, or a cut).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bench/loadgen/histogram.hpp"
#include "protocols/sse.hpp"

namespace switchyard::loadgen {

/// What one chat completion JSON object (a stream chunk or a whole response) carries.
struct chat_json_facts {
  bool valid = false;    ///< parsed as JSON
  bool content = false;  ///< a choice carries non-empty content, reasoning, text or tool calls
  bool error = false;    ///< a top-level "error" that is not null
  bool has_usage = false;
  std::uint64_t prompt_tokens = 0;
  std::uint64_t completion_tokens = 0;
};

/// Scans `json` (SAX, no allocation) for the facts above.
chat_json_facts scan_chat_json(std::string_view json) noexcept;

/// How a stream ended.
enum class stream_end : std::uint8_t {
  done,         ///< a `data: [DONE]` event arrived (and no error event)
  error_event,  ///< an error event arrived (`event: error` or a chunk with "error")
  no_done,      ///< the body ended cleanly but without [DONE]
  cut,          ///< the connection broke (or the response was malformed) mid-stream
  timed_out,    ///< the request's deadline passed mid-stream
};
inline constexpr std::size_t stream_end_count = 5;
/// The report's name of `e`.
const char* stream_end_name(stream_end e) noexcept;

/// Feeds on the body bytes of one `text/event-stream` response. Reused across requests.
class stream_tracker {
 public:
  /// Starts a new stream whose request was scheduled at `start_ns`. Inter-token gaps go to
  /// `itl` when it is not null (null for requests outside the measured window).
  void reset(std::int64_t start_ns, histogram* itl) noexcept;

  /// Body bytes that arrived at `now_ns` (any split).
  void feed(std::string_view bytes, std::int64_t now_ns);

  /// How the stream ended, given whether the HTTP body itself ended cleanly.
  stream_end classify(bool body_complete) const noexcept;

  /// Time of the first content chunk, -1 when none arrived.
  std::int64_t first_content_ns() const noexcept { return first_content_ns_; }
  std::int64_t last_content_ns() const noexcept { return last_content_ns_; }
  std::uint64_t content_chunks() const noexcept { return content_chunks_; }
  std::uint64_t events() const noexcept { return events_; }
  bool saw_done() const noexcept { return saw_done_; }
  bool saw_error_event() const noexcept { return saw_error_; }
  /// An event was not JSON, or an event outgrew the parser's limit.
  bool malformed() const noexcept { return malformed_; }
  bool has_usage() const noexcept { return has_usage_; }
  std::uint64_t prompt_tokens() const noexcept { return prompt_tokens_; }
  std::uint64_t completion_tokens() const noexcept { return completion_tokens_; }

 private:
  void on_event(const protocols::sse_event& ev, std::int64_t now_ns);

  protocols::sse_parser parser_;
  histogram* itl_ = nullptr;
  std::int64_t start_ns_ = 0;
  std::int64_t first_content_ns_ = -1;
  std::int64_t last_content_ns_ = -1;
  std::uint64_t content_chunks_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t prompt_tokens_ = 0;
  std::uint64_t completion_tokens_ = 0;
  bool saw_done_ = false;
  bool saw_error_ = false;
  bool malformed_ = false;
  bool has_usage_ = false;
};

}  // namespace switchyard::loadgen

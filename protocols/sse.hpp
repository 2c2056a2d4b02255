// Server-sent events: an incremental parser that takes bytes in any split, and framing.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::protocols {

/// One complete SSE event. The views are only valid inside the parser's callback.
struct sse_event {
  std::string_view event;  ///< the `event:` field, empty when absent
  std::string_view data;   ///< `data:` lines joined with '\n'
};

/// Incremental parser for `text/event-stream` (LF, CRLF or CR line ends; comments ignored;
/// one optional space after the colon stripped; multi-line data joined).
class sse_parser {
 public:
  /// `max_event_bytes` bounds the buffered size of one event (and one line).
  explicit sse_parser(std::size_t max_event_bytes = 1 << 20) : max_event_bytes_(max_event_bytes) {}

  /// Feeds `bytes`; calls `on_event(const sse_event&)` for every event they complete.
  /// Returns false (and stops) when an event or line grows past the limit.
  template <class F>
  bool feed(std::string_view bytes, F&& on_event);

  /// True when no partial line or event is buffered (a clean end of stream).
  bool idle() const noexcept { return line_.empty() && data_.empty() && event_.empty() && !has_data_; }

 private:
  // Handles one complete line; returns true when it ended an event.
  bool take_line(std::string_view line);

  std::size_t max_event_bytes_;
  std::string line_;   // a partial line carried over between feeds
  std::string data_;   // data of the event being assembled
  std::string event_;  // event name of the event being assembled
  bool has_data_ = false;
  bool last_was_cr_ = false;  // a CR ended the previous feed: skip a leading LF
};

/// Frames `data` (which must not contain newlines) as `data: <data>\n\n`.
std::string sse_frame(std::string_view data);

/// Appends `data: <data>\n\n` to `out`.
void append_sse_frame(std::string& out, std::string_view data);

}  // namespace switchyard::protocols

#include "protocols/sse_inl.hpp"

// Server-sent events: an incremental parser that takes bytes in any split, and framing.
#pragma once

#include <cstddef>
#include <cstdint>
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
  bool idle() const noexcept {
    return line_.empty() && data_.empty() && event_.empty() && !has_data_ && !failed_;
  }

 private:
  enum class line_result : std::uint8_t { more, dispatch, overflow };

  // Handles one complete line. `stable`: the view stays valid until `feed` returns, so the first
  // data line of an event may be kept as a view instead of being copied.
  line_result take_line(std::string_view line, bool stable);
  // Appends one `data:` value; false when the event outgrows the limit.
  bool append_data(std::string_view value, bool stable);
  // Drops a BOM at the start of the stream and the LF of a CRLF split across two feeds.
  std::string_view skip_preamble(std::string_view bytes);
  // Buffers the incomplete last line of a feed; false when it outgrows the limit.
  bool keep_partial(std::string_view bytes);
  // The event assembled so far (views into the parser or into the current feed's bytes).
  sse_event current() const noexcept { return {event_, data_in_view_ ? data_view_ : data_}; }
  std::size_t data_size() const noexcept {
    return data_in_view_ ? data_view_.size() : data_.size();
  }
  // Copies a data view into `data_` before the feed's bytes go away.
  void settle();
  void reset_event() noexcept;
  bool fail() noexcept;

  std::size_t max_event_bytes_;
  std::string line_;            // a partial line carried over between feeds
  std::string data_;            // data of the event being assembled
  std::string event_;           // event name of the event being assembled
  std::string_view data_view_;  // the event's only data line so far, still inside the fed bytes
  bool data_in_view_ = false;   // the event's data is `data_view_`, not `data_`
  bool has_data_ = false;
  bool last_was_cr_ = false;  // a CR ended the previous feed: skip a leading LF
  bool failed_ = false;       // the limit was hit: every later feed fails
  bool started_ = false;      // past the optional byte order mark at the start of the stream
  std::uint8_t bom_matched_ = 0;
};

/// Frames `data` as `data: <data>\n\n` (a line break inside `data` starts another `data:`
/// line, so the event still carries exactly `data`).
std::string sse_frame(std::string_view data);

/// Appends `data: <data>\n\n` to `out`.
void append_sse_frame(std::string& out, std::string_view data);

}  // namespace switchyard::protocols

#include "protocols/sse_inl.hpp"

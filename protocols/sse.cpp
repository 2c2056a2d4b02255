// Server-sent events: the non-template half of the incremental parser (line handling per the
// WHATWG event-stream rules) and framing.
#include "protocols/sse.hpp"

#include <cstring>

namespace switchyard::protocols {

namespace {

constexpr char byte_order_mark[] = "\xEF\xBB\xBF";

}  // namespace

sse_parser::line_result sse_parser::take_line(std::string_view line, bool stable) {
  if (line.size() > max_event_bytes_) return line_result::overflow;
  if (line.empty()) {
    if (has_data_) return line_result::dispatch;
    reset_event();  // an event with no data is discarded, name and all
    return line_result::more;
  }
  if (line.front() == ':') return line_result::more;  // a comment (often a keep-alive)
  std::string_view field = line;
  std::string_view value = line.substr(line.size());  // empty, but never a null pointer
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data")
    return append_data(value, stable) ? line_result::more : line_result::overflow;
  if (field == "event") {
    if (value.size() + data_size() > max_event_bytes_) return line_result::overflow;
    event_.assign(value);
  }
  // `id` and `retry` only matter to a reconnecting browser; unknown fields are ignored.
  return line_result::more;
}

bool sse_parser::append_data(std::string_view value, bool stable) {
  const std::size_t size = data_size() + (has_data_ ? 1 : 0) + value.size();
  if (size + event_.size() > max_event_bytes_) return false;
  if (!has_data_ && stable) {
    // The common case, one data line per event: keep a view, copy nothing.
    data_view_ = value;
    data_in_view_ = true;
  } else {
    settle();
    if (has_data_) data_.push_back('\n');
    data_.append(value);
  }
  has_data_ = true;
  return true;
}

std::string_view sse_parser::skip_preamble(std::string_view bytes) {
  if (last_was_cr_ && !bytes.empty()) {
    last_was_cr_ = false;
    if (bytes.front() == '\n') bytes.remove_prefix(1);
  }
  while (!started_ && !bytes.empty()) {
    if (bytes.front() != byte_order_mark[bom_matched_]) {
      // Not a BOM after all: the bytes held back start the first line.
      started_ = true;
      line_.assign(byte_order_mark, bom_matched_);
      break;
    }
    bytes.remove_prefix(1);
    started_ = ++bom_matched_ == 3;
  }
  return bytes;
}

bool sse_parser::keep_partial(std::string_view bytes) {
  if (line_.size() + bytes.size() > max_event_bytes_) return false;
  line_.append(bytes);
  return true;
}

void sse_parser::settle() {
  if (!data_in_view_) return;
  data_.assign(data_view_);
  data_in_view_ = false;
}

void sse_parser::reset_event() noexcept {
  data_.clear();
  event_.clear();
  data_view_ = {};
  data_in_view_ = false;
  has_data_ = false;
}

bool sse_parser::fail() noexcept {
  failed_ = true;
  data_in_view_ = false;  // the view may point into bytes the caller is about to free
  data_view_ = {};
  return false;
}

void append_sse_frame(std::string& out, std::string_view data) {
  const bool one_line = data.empty() || (std::memchr(data.data(), '\n', data.size()) == nullptr &&
                                         std::memchr(data.data(), '\r', data.size()) == nullptr);
  if (one_line) {
    out.append("data: ").append(data).append("\n\n");
    return;
  }
  // Each line gets its own field, so that a stray line break cannot end the event early.
  for (;;) {
    const auto eol = data.find_first_of("\r\n");
    out.append("data: ").append(data.substr(0, eol)).push_back('\n');
    if (eol == std::string_view::npos) break;
    const bool crlf = data[eol] == '\r' && eol + 1 < data.size() && data[eol + 1] == '\n';
    data.remove_prefix(eol + (crlf ? 2 : 1));
  }
  out.push_back('\n');
}

std::string sse_frame(std::string_view data) {
  std::string out;
  append_sse_frame(out, data);
  return out;
}

}  // namespace switchyard::protocols

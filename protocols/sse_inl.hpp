// The template half of the SSE parser (included by sse.hpp): splits fed bytes into lines and
// hands complete events to the caller's callback without copying them where it can.
#pragma once

#include <cstring>

namespace switchyard::protocols {

namespace detail {

/// Offset of the first CR or LF in `s`, or npos. `lf` caches the next LF (or the end of `s` when
/// there is none) between calls on the same buffer, so a CR-only stream stays linear.
inline std::size_t sse_find_eol(std::string_view s, const char*& lf) noexcept {
  const char* begin = s.data();
  const char* end = begin + s.size();
  if (lf == nullptr || lf < begin) {
    const void* p = std::memchr(begin, '\n', s.size());
    lf = p != nullptr ? static_cast<const char*>(p) : end;
  }
  const void* cr = std::memchr(begin, '\r', static_cast<std::size_t>(lf - begin));
  const char* eol = cr != nullptr ? static_cast<const char*>(cr) : lf;
  return eol == end ? std::string_view::npos : static_cast<std::size_t>(eol - begin);
}

}  // namespace detail

template <class F>
bool sse_parser::feed(std::string_view bytes, F&& on_event) {
  if (failed_) return false;
  bytes = skip_preamble(bytes);
  const char* next_lf = nullptr;
  while (!bytes.empty()) {
    const std::size_t eol = detail::sse_find_eol(bytes, next_lf);
    if (eol == std::string_view::npos) {
      if (!keep_partial(bytes)) return fail();
      break;
    }
    std::string_view line = bytes.substr(0, eol);
    std::size_t consumed = eol + 1;
    if (bytes[eol] == '\r') {
      if (eol + 1 == bytes.size()) {
        last_was_cr_ = true;
      } else if (bytes[eol + 1] == '\n') {
        ++consumed;
      }
    }
    bytes.remove_prefix(consumed);
    const bool stable = line_.empty();
    if (!stable) {
      if (line_.size() + line.size() > max_event_bytes_) return fail();
      line_.append(line);
      line = line_;
    }
    const line_result r = take_line(line, stable);
    line_.clear();
    if (r == line_result::overflow) return fail();
    if (r == line_result::dispatch) {
      on_event(current());
      reset_event();
    }
  }
  settle();
  return true;
}

}  // namespace switchyard::protocols

// HTTP/1.1 response parsing for the load generator (RFC 9112 framing, lenient on bare LF).
#include "bench/loadgen/http_parser.hpp"

#include <algorithm>
#include <cstring>

namespace switchyard::loadgen {

namespace {

constexpr std::size_t max_line_bytes = 8192;
constexpr std::uint64_t max_chunk_size = std::uint64_t{1} << 40;

char lower_ascii(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
  }
  return true;
}

bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls f(token) for each comma-separated, trimmed, non-empty element of `s`.
template <class F>
void for_each_token(std::string_view s, F&& f) {
  while (!s.empty()) {
    const auto comma = s.find(',');
    auto t = trim(s.substr(0, comma));
    if (!t.empty()) f(t);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
}

// Offset just past the blank line that ends the header block, or npos.
std::size_t find_head_end(std::string_view in) noexcept {
  std::size_t pos = 0;
  while (pos < in.size()) {
    const void* p = std::memchr(in.data() + pos, '\n', in.size() - pos);
    if (p == nullptr) return std::string_view::npos;
    const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(p) - in.data());
    if (lf + 1 < in.size() && in[lf + 1] == '\n') return lf + 2;
    if (lf + 2 < in.size() && in[lf + 1] == '\r' && in[lf + 2] == '\n') return lf + 3;
    if (lf + 2 >= in.size()) return std::string_view::npos;  // the blank line may still come
    pos = lf + 1;
  }
  return std::string_view::npos;
}

}  // namespace

void http_response_parser::reset(bool head) noexcept {
  state_ = state::headers;
  head_ = head;
  started_ = false;
  keep_alive_ = true;
  event_stream_ = false;
  chunked_ = false;
  has_length_ = false;
  status_ = 0;
  remaining_ = 0;
  content_length_ = 0;
  trailer_bytes_ = 0;
  body_ = {};
  error_ = "";
}

http_response_parser::step http_response_parser::fail(const char* why,
                                                      std::size_t consumed) noexcept {
  state_ = state::failed;
  error_ = why;
  return {event::error, consumed};
}

bool http_response_parser::parse_head(std::string_view block) noexcept {
  auto take_line = [&block]() {
    const auto lf = block.find('\n');
    auto line = block.substr(0, lf);
    block.remove_prefix(lf == std::string_view::npos ? block.size() : lf + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const std::string_view status_line = take_line();
  // "HTTP/1.x SSS[ reason]"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ') {
    error_ = "malformed status line";
    return false;
  }
  const bool http10 = status_line[7] == '0';
  unsigned code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    const char c = status_line[i];
    if (c < '0' || c > '9') {
      error_ = "malformed status code";
      return false;
    }
    code = code * 10 + static_cast<unsigned>(c - '0');
  }
  if (status_line.size() > 12 && status_line[12] != ' ') {
    error_ = "malformed status code";
    return false;
  }
  if (code < 100) {
    error_ = "status code below 100";
    return false;
  }
  status_ = code;
  keep_alive_ = !http10;
  event_stream_ = false;
  chunked_ = false;
  has_length_ = false;
  content_length_ = 0;

  while (!block.empty()) {
    const std::string_view line = take_line();
    if (line.empty()) break;
    if (line.front() == ' ' || line.front() == '\t') {
      error_ = "obsolete header line folding";
      return false;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      error_ = "malformed header line";
      return false;
    }
    const auto name = line.substr(0, colon);
    const auto value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::uint64_t n = 0;
      if (value.empty()) {
        error_ = "empty Content-Length";
        return false;
      }
      for (char c : value) {
        if (c < '0' || c > '9' || n > (UINT64_MAX - 9) / 10) {
          error_ = "malformed Content-Length";
          return false;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
      }
      if (has_length_ && n != content_length_) {
        error_ = "conflicting Content-Length headers";
        return false;
      }
      has_length_ = true;
      content_length_ = n;
    } else if (iequals(name, "transfer-encoding")) {
      // Chunked when it is the final coding (RFC 9112 6.1).
      bool last_chunked = false;
      for_each_token(value, [&](std::string_view t) { last_chunked = iequals(t, "chunked"); });
      chunked_ = last_chunked;
      if (!last_chunked) keep_alive_ = false;  // close-delimited
    } else if (iequals(name, "connection")) {
      for_each_token(value, [&](std::string_view t) {
        if (iequals(t, "close")) keep_alive_ = false;
        if (iequals(t, "keep-alive") && http10) keep_alive_ = true;
      });
    } else if (iequals(name, "content-type")) {
      event_stream_ = istarts_with(value, "text/event-stream");
    }
  }
  return true;
}

http_response_parser::step http_response_parser::next(std::string_view in) noexcept {
  std::size_t used = 0;
  while (true) {
    const std::string_view rest = in.substr(used);
    switch (state_) {
      case state::headers: {
        if (rest.empty()) return {event::need_more, used};
        started_ = true;
        const auto end = find_head_end(rest);
        if (end == std::string_view::npos) {
          if (rest.size() > max_header_bytes_) return fail("response header block too large", used);
          return {event::need_more, used};
        }
        if (end > max_header_bytes_) return fail("response header block too large", used);
        if (!parse_head(rest.substr(0, end))) return fail(error_, used);
        used += end;
        if (status_ < 200) {
          if (status_ == 101) return fail("unexpected 101 Switching Protocols", used);
          continue;  // 1xx interim response: the real one follows
        }
        if (head_ || status_ == 204 || status_ == 304) {
          state_ = state::finishing;
        } else if (chunked_) {
          state_ = state::chunk_size;
        } else if (has_length_) {
          remaining_ = content_length_;
          state_ = remaining_ == 0 ? state::finishing : state::body_length;
        } else {
          keep_alive_ = false;
          state_ = state::body_eof;
        }
        return {event::headers, used};
      }
      case state::body_length:
      case state::chunk_data: {
        if (rest.empty()) return {event::need_more, used};
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        body_ = rest.substr(0, n);
        remaining_ -= n;
        if (remaining_ == 0) {
          state_ = state_ == state::body_length ? state::finishing : state::chunk_end;
        }
        return {event::body, used + n};
      }
      case state::chunk_size: {
        const auto lf = rest.find('\n');
        if (lf == std::string_view::npos) {
          if (rest.size() > max_line_bytes) return fail("chunk size line too long", used);
          return {event::need_more, used};
        }
        std::string_view line = rest.substr(0, lf);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::uint64_t size = 0;
        std::size_t digits = 0;
        for (; digits < line.size(); ++digits) {
          const char c = lower_ascii(line[digits]);
          unsigned d = 0;
          if (c >= '0' && c <= '9') {
            d = static_cast<unsigned>(c - '0');
          } else if (c >= 'a' && c <= 'f') {
            d = static_cast<unsigned>(c - 'a' + 10);
          } else {
            break;
          }
          size = size * 16 + d;
          if (size > max_chunk_size) return fail("chunk too large", used);
        }
        if (digits == 0) return fail("malformed chunk size", used);
        const auto ext = trim(line.substr(digits));
        if (!ext.empty() && ext.front() != ';') return fail("malformed chunk size", used);
        used += lf + 1;
        if (size == 0) {
          state_ = state::trailers;
        } else {
          remaining_ = size;
          state_ = state::chunk_data;
        }
        continue;
      }
      case state::chunk_end: {
        if (rest.empty()) return {event::need_more, used};
        if (rest[0] == '\n') {
          used += 1;
        } else if (rest[0] == '\r') {
          if (rest.size() < 2) return {event::need_more, used};
          if (rest[1] != '\n') return fail("chunk data not followed by CRLF", used);
          used += 2;
        } else {
          return fail("chunk data not followed by CRLF", used);
        }
        state_ = state::chunk_size;
        continue;
      }
      case state::trailers: {
        const auto lf = rest.find('\n');
        if (lf == std::string_view::npos) {
          if (trailer_bytes_ + rest.size() > max_header_bytes_) {
            return fail("trailer block too large", used);
          }
          return {event::need_more, used};
        }
        trailer_bytes_ += lf + 1;
        if (trailer_bytes_ > max_header_bytes_) return fail("trailer block too large", used);
        const bool blank = lf == 0 || (lf == 1 && rest[0] == '\r');
        used += lf + 1;
        if (blank) state_ = state::finishing;
        continue;
      }
      case state::body_eof: {
        if (rest.empty()) return {event::need_more, used};
        body_ = rest;
        return {event::body, used + rest.size()};
      }
      case state::finishing:
        state_ = state::complete;
        return {event::done, used};
      case state::complete:
        return {event::need_more, used};
      case state::failed:
        return {event::error, used};
    }
  }
}

http_response_parser::event http_response_parser::on_eof() noexcept {
  if (state_ == state::body_eof) {
    state_ = state::complete;
    return event::done;
  }
  if (state_ == state::complete) return event::done;
  state_ = state::failed;
  error_ = started_ ? "connection closed before the response was complete"
                    : "connection closed before any response";
  return event::error;
}

}  // namespace switchyard::loadgen

// A small, allocation-free, incremental HTTP/1.1 response parser for the client side: status
// line, the few headers a load generator needs, and Content-Length, chunked or close-delimited
// bodies, handed out as views as they arrive so stream timings are exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace switchyard::loadgen {

/// Pull parser: call `next` with the unconsumed bytes until it needs more; drop the bytes it
/// reports consumed. One instance is reused for every response on a connection.
class http_response_parser {
 public:
  enum class event : std::uint8_t {
    need_more,  ///< feed more bytes (after dropping `consumed`)
    headers,    ///< status and headers are known
    body,       ///< `body()` holds the next body bytes (chunk framing removed)
    done,       ///< the response is complete
    error,      ///< malformed; `error()` says why; the connection is unusable
  };
  struct step {
    event ev;
    std::size_t consumed;  ///< bytes of the input used up by this step
  };

  explicit http_response_parser(std::size_t max_header_bytes = 64u << 10) noexcept
      : max_header_bytes_(max_header_bytes) {}

  /// Prepares for the response to the next request (`head`: it answers a HEAD request).
  void reset(bool head) noexcept;

  /// Parses from the start of `in`.
  step next(std::string_view in) noexcept;

  /// The peer closed the connection: `done` when the body was delimited by the close,
  /// otherwise `error` (a truncated or missing response).
  event on_eof() noexcept;

  /// True once any byte of the response (including 1xx interim responses) was consumed.
  bool started() const noexcept { return started_; }
  /// True once the headers were parsed.
  bool has_headers() const noexcept { return state_ > state::headers; }
  /// True when the response has been completely parsed.
  bool complete() const noexcept { return state_ == state::complete; }

  unsigned status() const noexcept { return status_; }
  /// The connection may carry another request after this response.
  bool keep_alive() const noexcept { return keep_alive_; }
  /// Content-Type is text/event-stream.
  bool event_stream() const noexcept { return event_stream_; }
  /// The bytes of the last `body` event (valid until the input buffer changes).
  std::string_view body() const noexcept { return body_; }
  /// Why the last `error` happened.
  const char* error() const noexcept { return error_; }

 private:
  enum class state : std::uint8_t {
    headers,
    body_length,
    chunk_size,
    chunk_data,
    chunk_end,
    trailers,
    body_eof,
    finishing,
    complete,
    failed,
  };

  // Parses a complete header block (`block` ends with the blank line); false on error.
  bool parse_head(std::string_view block) noexcept;
  step fail(const char* why, std::size_t consumed) noexcept;

  std::size_t max_header_bytes_;
  state state_ = state::headers;
  bool head_ = false;
  bool started_ = false;
  bool keep_alive_ = true;
  bool event_stream_ = false;
  bool chunked_ = false;
  bool has_length_ = false;
  unsigned status_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint64_t content_length_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::string_view body_;
  const char* error_ = "";
};

}  // namespace switchyard::loadgen

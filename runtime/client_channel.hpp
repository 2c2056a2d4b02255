// The ingress half of one request as the egress side sees it: the session implements it, the
// upstream client and in-process mock write to it. Bytes stay on the session's strand.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "actors/ports/response_sink.hpp"

namespace switchyard::runtime {

/// One extra response header.
struct header_field {
  std::string name;
  std::string value;
};

/// The client side of one request. `response_sink`'s methods are thread-safe; every method
/// declared here must be called on `executor()` and only by the attempt that won `try_commit`.
class client_channel : public actors::response_sink {
 public:
  /// Bytes a stream may have queued for the client before `write_stream` asks its writer to wait.
  static constexpr std::size_t stream_buffer_limit = 64 * 1024;

  /// The session's strand. Upstream exchanges of this request run on it too, so relaying a chunk
  /// is a plain call, never a hop between threads.
  virtual boost::asio::any_io_executor executor() const = 0;

  /// Sends a whole response (non-streaming). `content_type` e.g. "application/json".
  virtual void send_full(unsigned status, std::string_view content_type, std::string body,
                         std::vector<header_field> extra) = 0;

  /// Starts a `200 text/event-stream` response sent with chunked transfer encoding.
  virtual void begin_stream(std::vector<header_field> extra) = 0;

  /// Queues stream bytes. Returns true when the writer may go on at once; false when the client
  /// is slow (more than `stream_buffer_limit` queued): then `resume` is called once the queue has
  /// drained below the limit. If the client is gone, returns false and never calls `resume`.
  virtual bool write_stream(std::string bytes, std::function<void()> resume) = 0;

  /// Ends the stream (the final empty chunk) once everything queued is written.
  virtual void end_stream() = 0;

  /// True once the client has disconnected or a write to it failed.
  virtual bool client_gone() const = 0;
};

}  // namespace switchyard::runtime

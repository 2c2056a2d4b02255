// One keep-alive client connection of the load generator: connects (and does the TLS handshake),
// writes prebuilt requests, keeps a read pending at all times, and parses responses as bytes
// arrive so that headers, stream chunks and the end are timed exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "bench/loadgen/http_parser.hpp"
#include "bench/loadgen/request_builder.hpp"
#include "bench/loadgen/stats.hpp"
#include "bench/loadgen/stream_tracker.hpp"

namespace switchyard::loadgen {

class worker;

/// One request as the generator sees it. Times are nanoseconds on the run clock.
struct ticket {
  std::int64_t scheduled_ns = 0;   ///< when it was due (latency is measured from here)
  std::int64_t dispatched_ns = 0;  ///< when the generator handed it on
  std::uint32_t shape = 0;         ///< index of its request template
  bool counted = false;            ///< in the measured window (not warm-up)
  std::uint64_t tag = 0;           ///< unique tag stamped into chat prompts
};

/// How one request ended, handed to the worker when it is over.
struct exchange_result {
  ticket t;
  error_kind error = error_kind::none;
  std::string error_message;
  unsigned status = 0;           ///< 0 when no response headers arrived
  std::int64_t headers_ns = -1;  ///< when the response headers were complete
  std::int64_t end_ns = 0;       ///< when it completed or failed
  bool stream_request = false;
  bool sse = false;                      ///< a 2xx event-stream answer to a stream request
  bool not_event_stream = false;         ///< a 2xx answer to a stream request that was not SSE
  stream_end end = stream_end::no_done;  ///< when `sse`
  chat_json_facts body_facts;            ///< non-stream chat: what the body said (usage)
  std::uint64_t bytes_out = 0;
  std::uint64_t bytes_in = 0;
};

/// A client connection. Owned by shared pointers: the worker's list while it is open, and
/// every pending operation. Runs on its worker's single-threaded io_context.
class connection : public std::enable_shared_from_this<connection> {
 public:
  enum class state : std::uint8_t { connecting, ready, busy, closed };

  connection(worker& owner, boost::asio::io_context& ioc, boost::asio::ssl::context* tls);
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Connects (and handshakes), then sends `t`.
  void open(const ticket& t);
  /// Sends `t`; the connection must be ready.
  void send(const ticket& t);
  /// The deadline of the connect or request passed: fail it and close.
  void expire(std::int64_t now_ns);
  /// Closes without reporting anything (end of run).
  void shutdown() noexcept;

  state current_state() const noexcept { return state_; }
  /// The request being connected for or exchanged (when connecting or busy).
  const ticket& in_flight_ticket() const noexcept {
    return state_ == state::connecting ? pending_ : result_.t;
  }
  /// Connect or request deadline on the run clock.
  std::int64_t deadline_ns() const noexcept { return deadline_ns_; }
  const stream_tracker& tracker() const noexcept { return tracker_; }

  /// Position in the worker's list of open connections (kept by the worker).
  std::size_t live_index = 0;

 private:
  void on_connect(const boost::system::error_code& ec);
  void on_handshake(const boost::system::error_code& ec);
  void on_ready();
  void start_exchange(const ticket& t);
  void do_write(const char* data, std::size_t size);
  void on_write(const boost::system::error_code& ec, std::size_t bytes);
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  // Runs the parser over the buffered bytes.
  void process(std::int64_t now_ns);
  void on_response_done(std::int64_t now_ns, bool keep);
  void complete_exchange();
  void fail(error_kind kind, std::string message, std::int64_t now_ns);
  // The peer closed (or broke) a connection that had no request on it.
  void on_idle_loss(bool peer_close);
  void close_socket() noexcept;
  bool tls() const noexcept { return tls_ != nullptr; }

  worker& owner_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ssl::context* tls_context_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  state state_ = state::closed;
  ticket pending_;  // the request to send once connected
  const request_template* template_ = nullptr;
  std::int64_t deadline_ns_ = 0;
  bool writing_ = false;
  bool done_waits_for_write_ = false;  // the response ended before the write completed
  bool keep_after_write_ = false;
  bool collect_body_ = false;
  std::string wbuf_;
  std::vector<char> rbuf_;
  std::size_t rbeg_ = 0;
  std::size_t rend_ = 0;
  std::string body_;
  http_response_parser parser_;
  stream_tracker tracker_;
  exchange_result result_;
};

}  // namespace switchyard::loadgen

// One client connection: reads one request at a time within the configured limits and timeouts,
// answers what the gateway itself can (routes, auth, decoding errors), hands the rest to the
// control plane, and watches for the client leaving while the request is in flight.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "protocols/error.hpp"

namespace switchyard::runtime {

class http_channel;
class server;

/// One accepted connection, living on its own strand. Handlers hold it by `shared_ptr`.
class session : public std::enable_shared_from_this<session> {
 public:
  /// `socket` must have been accepted on a strand of its own.
  session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server> owner, std::uint64_t id);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Starts the read loop. Any thread.
  void start();
  /// Graceful drain: an idle connection closes now; a busy one after its current response.
  /// Any thread.
  void drain();
  /// Closes the connection now (in-flight requests see their client gone). Any thread.
  void close_now();
  /// Closes the connection if it waits for a request and no byte of one has arrived: what the
  /// server gives up first when it runs out of descriptors. Any thread.
  void close_if_idle();

  // -- for http_channel, on the strand --

  /// The connection.
  boost::beast::tcp_stream& stream() noexcept { return stream_; }
  /// The server this session belongs to.
  server& owner() noexcept { return *server_; }
  /// The response of the current request was written completely.
  void on_response_done(bool keep_alive);
  /// Writing the response failed (error or `write_timeout`): the connection is closed.
  void on_response_failed();
  /// A channel was dropped before its response finished (nobody answered, or a stream was cut):
  /// answers 500 if nothing was sent yet, else closes the connection.
  void on_channel_abandoned(bool nothing_sent, const std::string& request_id);

  /// Registry key in the server.
  std::uint64_t id() const noexcept { return id_; }

 private:
  enum class phase : std::uint8_t { idle, reading, responding, lingering, closed };
  using parser_type = boost::beast::http::request_parser<boost::beast::http::string_body>;
  using request_type = boost::beast::http::request<boost::beast::http::string_body>;

  void do_wait_request();
  void on_readable(boost::system::error_code ec);
  void do_read();
  void on_header(boost::system::error_code ec, std::size_t bytes);
  void on_continue_written(boost::system::error_code ec, std::size_t bytes);
  void on_read(boost::system::error_code ec, std::size_t bytes);
  void on_read_error(boost::system::error_code ec);
  void on_request();
  void dispatch(request_type& req);  // session_dispatch.cpp

  void arm_deadline(std::chrono::steady_clock::duration d);
  void cancel_deadline();
  void on_deadline(boost::system::error_code ec, std::uint64_t generation);

  void start_watch();
  void stop_watch();
  void on_watch(boost::system::error_code ec, std::uint64_t generation);

  // Answers an error that ends the connection (the request may not have been read fully);
  // `status` overrides the error's own status when non-zero.
  void fail_request(const protocols::error_info& error, unsigned status = 0);
  void close_gracefully();
  void do_linger();
  void on_linger_read(boost::system::error_code ec, std::size_t bytes);
  void close_socket();

  boost::beast::tcp_stream stream_;
  std::shared_ptr<server> server_;
  std::uint64_t id_;
  boost::beast::flat_buffer buffer_;
  std::optional<parser_type> parser_;
  boost::asio::steady_timer deadline_;
  std::uint64_t deadline_generation_ = 0;
  std::uint64_t watch_generation_ = 0;
  bool read_timed_out_ = false;
  bool linger_on_close_ = false;
  phase phase_ = phase::idle;
  std::weak_ptr<http_channel> channel_;
  std::chrono::steady_clock::time_point received_;
  std::unique_ptr<char[]> discard_;  // linger reads only
};

}  // namespace switchyard::runtime

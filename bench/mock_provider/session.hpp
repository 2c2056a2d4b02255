// One client connection of the mock provider: reads HTTP/1.1 requests one at a time, routes
// them, applies faults, and writes whole, streamed, cut or no answers. Runs on its own strand.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>

#include "bench/mock_provider/dialect_replies.hpp"
#include "bench/mock_provider/faults.hpp"
#include "bench/mock_provider/reply_script.hpp"
#include "bench/mock_provider/server_state.hpp"
#include "protocols/canonical.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// One accepted connection. Owned by its pending operations (shared_from_this).
class session : public std::enable_shared_from_this<session> {
 public:
  /// `socket` must have been accepted on a strand; the session runs on that strand.
  session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<server_state> state);
  ~session();

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Starts reading requests.
  void start();

  /// Closes the connection from any thread, as a crashed provider would (a down phase).
  void kill();

 private:
  using request_type = boost::beast::http::request<boost::beast::http::string_body>;
  using response_type = boost::beast::http::response<boost::beast::http::string_body>;

  // Reading: the header first (to answer Expect: 100-continue), then the body.
  void do_read();
  void on_read_header(boost::beast::error_code ec, std::size_t bytes);
  void on_continue_written(boost::beast::error_code ec, std::size_t bytes);
  void do_read_body();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_read_error(boost::beast::error_code ec);

  // Routing.
  void handle_request();
  // The model routes of every dialect (dialect_ says which): decode, fault, answer.
  void handle_reply();
  protocols::result<reply_request, request_error> decode_reply_request() const;
  void handle_embeddings();
  void handle_models();
  void handle_faults_admin();
  void handle_stats_admin();
  void handle_requests_admin(bool last_only);
  void handle_clock_admin();
  void record_request();
  // Checks the dialect's credentials when --api-key is set; false when a 401 (or the dialect's
  // equivalent) is on its way.
  bool authorized();
  std::optional<request_error> auth_error() const;

  // Faults: picks the request's fault (header rule first); false when the x-mock-fault header
  // was malformed (a 400 is then on its way).
  bool pick_fault(bool is_stream, std::optional<fault_rule>& out);
  // Applies reset, hang and status faults; returns true when the fault took the request over.
  // Leaves delay_ms_ and cut_ set for the others.
  bool take_over_by_fault(const std::optional<fault_rule>& fault);

  // Whole responses. Errors take the shape of dialect_.
  void prepare(unsigned status, std::string_view content_type, std::string body);
  void prepare_error(unsigned status, std::string_view message, std::string_view param = {});
  void prepare_error(const request_error& e) { prepare_error(e.status, e.message, e.param); }
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);

  // A non-stream cut: headers and half the body, then a reset.
  void do_write_cut();
  void on_cut_header(boost::beast::error_code ec, std::size_t bytes);
  void on_cut_body(boost::beast::error_code ec, std::size_t bytes);

  // Streams.
  void start_stream();
  void do_write_frames();
  void on_frames_written(boost::beast::error_code ec, std::size_t bytes);

  // Waits `ms` on the timer (or not at all when 0), then runs `next` on the strand.
  template <class F>
  void after(std::uint32_t ms, F&& next);

  // Runs `next` once the --max-concurrency gate admits this request (at once when unlimited).
  template <class F>
  void when_admitted(F&& next);
  void release_slot();

  // Hang: read and discard until the client closes.
  void do_hang_read();
  void on_hang_read(boost::beast::error_code ec, std::size_t bytes);

  // Endings.
  void finish_response();
  void lingering_close();
  void on_drain(boost::beast::error_code ec, std::size_t bytes);
  void reset_after_flush(unsigned attempts);
  void reset_now();
  void close_now();

  std::uint64_t next_reply_number();
  void log(unsigned status, std::string_view note) const;

  std::shared_ptr<server_state> state_;
  const options& opts_;
  boost::beast::tcp_stream stream_;
  boost::asio::steady_timer timer_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  request_type req_;
  response_type res_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  std::string request_id_;
  // The dialect of the request being answered: its errors take that dialect's shape.
  protocols::dialect dialect_ = protocols::dialect::openai;

  // Latency and token rate of the request being answered (from the scenario timeline).
  request_plan plan_;
  bool holds_slot_ = false;

  // Set by take_over_by_fault for the request being answered.
  std::uint32_t delay_ms_ = 0;
  bool cut_ = false;
  std::optional<std::uint32_t> cut_after_tokens_;

  // The stream being written.
  std::string head_bytes_;  // the stream's serialized header, until the first write
  std::optional<boost::beast::http::response_serializer<boost::beast::http::string_body>> cut_sr_;
  std::optional<reply_stream> reply_;
  std::size_t next_frame_ = 0;
  std::size_t frame_limit_ = 0;
  std::chrono::steady_clock::time_point first_byte_at_;
  std::chrono::steady_clock::duration token_interval_{};
  std::string chunk_size_line_;
  std::string payload_;

  std::array<char, 4096> discard_{};
  bool closed_ = false;
};

}  // namespace switchyard::mock

// The session's read loop: idle and read deadlines (slow-loris defence), request limits,
// Expect: 100-continue, and the errors that end a connection before a request was read.
#include "runtime/session.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "runtime/http_channel.hpp"
#include "runtime/server.hpp"

namespace switchyard::runtime {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

bool iequals(std::string_view a, std::string_view b) noexcept {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool is_http_error(const error_code& ec) noexcept {
  return ec.category() == http::make_error_code(http::error::bad_target).category();
}

std::string ms(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

}  // namespace

session::session(net::ip::tcp::socket&& socket, std::shared_ptr<server> owner, std::uint64_t id)
    : stream_(std::move(socket)),
      server_(std::move(owner)),
      id_(id),
      deadline_(stream_.get_executor()) {}

session::~session() {
  // Normally close_socket() already told the server; this covers a session that never ran.
  if (phase_ != phase::closed) server_->on_session_closed(id_);
}

void session::start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    error_code ec;
    self->stream_.socket().set_option(net::ip::tcp::no_delay{true}, ec);
    self->do_wait_request();
  });
}

void session::drain() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    if (self->phase_ == phase::idle) self->close_socket();
  });
}

void session::close_now() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->close_socket(); });
}

void session::close_if_idle() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    // A request already in the socket (a connection fresh from the listen queue) is served.
    error_code ec;
    if (self->phase_ == phase::idle && self->stream_.socket().available(ec) == 0 && !ec)
      self->close_socket();
  });
}

// -- reading --------------------------------------------------------------------------------------

void session::do_wait_request() {
  if (phase_ == phase::closed) return;
  if (server_->draining()) {
    close_socket();
    return;
  }
  phase_ = phase::idle;
  linger_on_close_ = false;
  const auto& limits = server_->limits();
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
  if (buffer_.size() > 0) {
    do_read();  // a pipelined request is already here
    return;
  }
  // Waiting for readiness instead of reading lets the read deadline start at the first byte.
  arm_deadline(limits.idle_timeout);
  stream_.socket().async_wait(net::ip::tcp::socket::wait_read,
                              beast::bind_front_handler(&session::on_readable, shared_from_this()));
}

void session::on_readable(error_code ec) {
  if (phase_ != phase::idle) return;
  if (ec) {
    close_socket();
    return;
  }
  do_read();
}

void session::do_read() {
  phase_ = phase::reading;
  read_timed_out_ = false;
  arm_deadline(server_->limits().read_timeout);
  stream_.expires_never();  // reads are bounded by our own deadline, which can still answer 408
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&session::on_header, shared_from_this()));
}

void session::on_header(error_code ec, std::size_t n) {
  server_->stats().bytes_received_total.fetch_add(n, std::memory_order_relaxed);
  if (ec) return on_read_error(ec);
  if (parser_->is_done()) return on_request();
  const auto& req = parser_->get();
  if (req.version() >= 11 && iequals(req[http::field::expect], "100-continue")) {
    const auto& limits = server_->limits();
    if (limits.write_timeout.count() > 0) stream_.expires_after(limits.write_timeout);
    net::async_write(stream_, net::buffer(continue_line.data(), continue_line.size()),
                     beast::bind_front_handler(&session::on_continue_written, shared_from_this()));
    return;
  }
  on_continue_written({}, 0);
}

void session::on_continue_written(error_code ec, std::size_t) {
  if (ec) return on_read_error(ec);
  stream_.expires_never();
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::on_read(error_code ec, std::size_t n) {
  server_->stats().bytes_received_total.fetch_add(n, std::memory_order_relaxed);
  if (ec) return on_read_error(ec);
  on_request();
}

void session::on_read_error(error_code ec) {
  cancel_deadline();
  if (phase_ == phase::closed) return;
  const auto& limits = server_->limits();
  using protocols::gateway_error;
  if (read_timed_out_) {
    server_->stats().read_timeouts_total.fetch_add(1, std::memory_order_relaxed);
    fail_request(protocols::make_error(
        gateway_error::request_timeout,
        "The request did not arrive completely within " + ms(limits.read_timeout) +
            ". Send the whole request without pausing, or ask the operator to "
            "raise server.read_timeout_ms."));
  } else if (ec == http::error::body_limit) {
    fail_request(protocols::make_error(
        gateway_error::payload_too_large,
        "The request body is larger than the limit of " + std::to_string(limits.max_body_bytes) +
            " bytes. Send a smaller request (fewer or shorter messages)."));
  } else if (ec == http::error::header_limit) {
    fail_request(
        protocols::make_error(gateway_error::payload_too_large,
                              "The request headers are larger than the limit of " +
                                  std::to_string(limits.max_header_bytes) +
                                  " bytes. Send fewer or "
                                  "shorter headers."),
        431);  // the precise status for oversized headers; the body keeps payload_too_large
  } else if (is_http_error(ec) && ec != http::error::end_of_stream &&
             ec != http::error::partial_message) {
    fail_request(protocols::make_error(
        gateway_error::bad_request,
        "Malformed HTTP request (" + ec.message() + "). Send a valid HTTP/1.1 request."));
  } else {
    close_socket();  // the client closed or reset the connection: nobody to answer
  }
}

void session::on_request() {
  cancel_deadline();
  phase_ = phase::responding;
  received_ = std::chrono::steady_clock::now();
  server_->stats().requests_total.fetch_add(1, std::memory_order_relaxed);
  auto req = parser_->release();
  parser_.reset();
  dispatch(req);
}

// -- deadlines ------------------------------------------------------------------------------------

void session::arm_deadline(std::chrono::steady_clock::duration d) {
  auto generation = ++deadline_generation_;
  if (d <= std::chrono::steady_clock::duration::zero()) {
    deadline_.cancel();
    return;
  }
  deadline_.expires_after(d);
  deadline_.async_wait([self = shared_from_this(), generation](error_code ec) {
    self->on_deadline(ec, generation);
  });
}

void session::cancel_deadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

void session::on_deadline(error_code ec, std::uint64_t generation) {
  if (ec || generation != deadline_generation_) return;
  switch (phase_) {
    case phase::idle:
      server_->stats().idle_closes_total.fetch_add(1, std::memory_order_relaxed);
      close_socket();
      break;
    case phase::reading: {
      // Abort the read; its handler answers 408 (Beast's own stream timeout would close instead).
      read_timed_out_ = true;
      error_code ignored;
      stream_.socket().cancel(ignored);
      break;
    }
    case phase::lingering:
      close_socket();
      break;
    case phase::responding:
    case phase::closed:
      break;
  }
}

}  // namespace switchyard::runtime

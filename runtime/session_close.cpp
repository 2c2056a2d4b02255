// The session's response side and the end of a connection: the client-disconnect watch while the
// control plane works, connection-ending errors, keep-alive or (lingering) close.
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/dispatch.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "protocols/client_response.hpp"
#include "runtime/http_channel.hpp"
#include "runtime/request_id.hpp"
#include "runtime/routes.hpp"
#include "runtime/server.hpp"
#include "runtime/session.hpp"

namespace switchyard::runtime {

namespace net = boost::asio;
namespace beast = boost::beast;
using boost::system::error_code;

namespace {

constexpr std::size_t discard_size = 4096;
// How long a closing connection keeps reading (and dropping) what the client still sends, so
// that an early error response is not destroyed by a TCP reset before the client reads it.
constexpr std::chrono::milliseconds max_linger{2'000};

}  // namespace

// -- client-disconnect watch ----------------------------------------------------------------------

void session::start_watch() {
  if (buffer_.size() > 0)
    return;  // pipelined bytes are buffered already: a write error will tell us if the client left
  auto generation = ++watch_generation_;
  stream_.socket().async_wait(
      net::ip::tcp::socket::wait_read,
      [self = shared_from_this(), generation](error_code ec) { self->on_watch(ec, generation); });
}

void session::stop_watch() {
  ++watch_generation_;
  error_code ignored;
  stream_.socket().cancel(ignored);  // only the watch is pending here
}

void session::on_watch(error_code ec, std::uint64_t generation) {
  if (generation != watch_generation_ || phase_ != phase::responding) return;
  if (!ec) {
    // Readiness can be stale (another thread's read consumed the bytes the event was about), so
    // `available() == 0` alone does not mean EOF: peek without blocking to tell them apart.
    char byte;
    auto n = ::recv(stream_.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return;  // the next pipelined request: leave it unread until this response is done
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      start_watch();  // nothing there after all
      return;
    }
    // n == 0: the client closed its side; n < 0: the connection broke.
  }
  // Aborted or bad descriptor: our own side closed the socket (a write timeout), not the client.
  if (ec != net::error::operation_aborted && ec != net::error::bad_descriptor)
    server_->stats().client_disconnects_total.fetch_add(1, std::memory_order_relaxed);
  close_socket();  // marks the channel's client gone and notifies its listener
}

// -- responses and closing ------------------------------------------------------------------------

void session::fail_request(const protocols::error_info& error, unsigned status) {
  phase_ = phase::responding;
  linger_on_close_ = true;
  std::string request_id;
  unsigned version = 11;
  auto dialect = protocols::dialect::openai;
  if (parser_) {
    // A 413 to an Anthropic SDK reads best in Anthropic's error shape. The request line may be
    // all that was parsed (a Content-Length over the limit stops the parser inside the header).
    const auto match = match_route(parser_->get().method_string(), parser_->get().target());
    if (match.outcome == route_match::found) dialect = route_dialect(match.which);
  }
  if (parser_ && parser_->is_header_done()) {
    request_id = accept_or_generate_request_id(parser_->get()["x-request-id"]);
    version = parser_->get().version();
  } else {
    request_id = generate_request_id();
  }
  parser_.reset();
  auto channel =
      std::make_shared<http_channel>(shared_from_this(), std::move(request_id), version, false);
  channel->set_dialect(dialect);
  channel_ = channel;
  if (!channel->try_commit(actors::response_sink::error_attempt)) return;
  channel->send_full(status != 0 ? status : protocols::http_status(error.code), "application/json",
                     protocols::error_body(dialect, error), {});
}

void session::on_response_done(bool keep_alive) {
  if (phase_ != phase::responding) return;
  stop_watch();
  channel_.reset();
  if (keep_alive && !server_->draining())
    do_wait_request();
  else
    close_gracefully();
}

void session::on_response_failed() {
  close_socket();
}

void session::on_channel_abandoned(bool nothing_sent, const std::string& request_id) {
  if (phase_ != phase::responding) return;
  if (!nothing_sent) {
    close_socket();  // a response was cut short: closing is the only honest end
    return;
  }
  auto channel = std::make_shared<http_channel>(shared_from_this(), request_id, 11, false);
  channel_ = channel;
  channel->send_error(
      protocols::make_error(protocols::gateway_error::internal,
                            "The gateway lost this request before answering (request id " +
                                request_id + "). Retry it; report the id if it happens again."));
}

void session::close_gracefully() {
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  if (!linger_on_close_) {
    close_socket();
    return;
  }
  phase_ = phase::lingering;
  discard_ = std::make_unique<char[]>(discard_size);
  arm_deadline(std::min<std::chrono::steady_clock::duration>(
      max_linger, std::max<std::chrono::steady_clock::duration>(server_->limits().read_timeout,
                                                                std::chrono::milliseconds{1})));
  stream_.expires_never();
  do_linger();
}

void session::do_linger() {
  stream_.async_read_some(net::buffer(discard_.get(), discard_size),
                          beast::bind_front_handler(&session::on_linger_read, shared_from_this()));
}

void session::on_linger_read(error_code ec, std::size_t) {
  if (phase_ != phase::lingering) return;
  if (ec) {
    close_socket();
    return;
  }
  do_linger();
}

void session::close_socket() {
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  cancel_deadline();
  ++watch_generation_;
  if (auto channel = channel_.lock()) channel->mark_client_gone();
  channel_.reset();
  // parser_ stays: a read that the close aborts still touches it when it completes.
  error_code ignored;
  stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  stream_.close();
  server_->on_session_closed(id_);
}

}  // namespace switchyard::runtime

// One HTTP attempt, the connection half: reuse a pooled connection or connect (DNS, TCP, TLS),
// write the request, read, and handle I/O errors, including the keep-alive race retry. The
// response half is in http_exchange_response.cpp.
#include "runtime/http_exchange.hpp"

#include <array>
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>

#include "runtime/request_head.hpp"

namespace switchyard::runtime {

namespace asio = boost::asio;
using actors::attempt_failure;
using tcp = asio::ip::tcp;

namespace {

// Longest wait for the rest of a message after [DONE], to be able to pool the connection.
constexpr std::chrono::milliseconds max_drain_wait{2'000};

}  // namespace

http_exchange::http_exchange(actors::attempt_spec spec, std::shared_ptr<client_channel> channel,
                             std::shared_ptr<upstream_pool> pool)
    : attempt_base(std::move(spec), std::move(channel)), pool_(std::move(pool)) {}

std::string http_exchange::endpoint_name() const {
  const auto& ep = pool_->endpoint();
  return ep.host + ":" + std::to_string(ep.port);
}

void http_exchange::start() {
  started_ = std::chrono::steady_clock::now();
  if (ended_) return;  // cancelled before it ran
  arm_total();
  if (channel_->client_gone()) {
    fail(attempt_failure::cancelled, "the client disconnected before the attempt started");
    return;
  }
  if (!build_request_head()) return;
  if (pool_->endpoint().tls && pool_->tls() == nullptr) {
    fail(attempt_failure::connect, "https provider without a TLS context");
    return;
  }
  conn_ = pool_->checkout();
  if (conn_) {
    reused_ = true;
    pool_->note_reused();
    do_write();
  } else {
    do_connect();
  }
}

bool http_exchange::build_request_head() {
  std::string error;
  if (!build_upstream_request_head(spec_, head_, error)) {
    fail(attempt_failure::protocol, std::move(error));
    return false;
  }
  return true;
}

// ---- connect ---------------------------------------------------------------------------------

void http_exchange::do_connect() {
  reused_ = false;
  got_byte_ = false;
  conn_ = pool_->make_connection();
  arm_phase(timeouts().connect, attempt_failure::connect_timeout);
  const auto& ep = pool_->endpoint();
  resolver_.emplace(strand_);
  resolver_->async_resolve(
      ep.host, std::to_string(ep.port),
      asio::bind_executor(
          strand_, [self = self()](boost::system::error_code ec, tcp::resolver::results_type eps) {
            self->on_resolve(ec, std::move(eps));
          }));
}

void http_exchange::on_resolve(boost::system::error_code ec, tcp::resolver::results_type eps) {
  if (ended_) return;
  if (ec) {
    fail(attempt_failure::connect,
         "cannot resolve '" + pool_->endpoint().host + "': " + ec.message());
    return;
  }
  asio::async_connect(conn_->socket(), eps,
                      asio::bind_executor(strand_, [self = self()](boost::system::error_code ec,
                                                                   const tcp::endpoint&) {
                        self->on_connect(ec);
                      }));
}

void http_exchange::on_connect(boost::system::error_code ec) {
  if (ended_) return;
  if (ec) {
    fail(attempt_failure::connect, "cannot connect to " + endpoint_name() + ": " + ec.message());
    return;
  }
  boost::system::error_code ignored;
  conn_->socket().set_option(tcp::no_delay(true), ignored);
  if (!pool_->endpoint().tls) {
    pool_->note_opened(false);
    do_write();
    return;
  }
  const auto& host = pool_->endpoint().host;
  auto& tls = conn_->start_tls(pool_->tls()->native());
  tls.set_verify_mode(asio::ssl::verify_peer, ignored);
  tls.set_verify_callback(asio::ssl::host_name_verification(host), ignored);
  tls_context::prepare(tls.native_handle(), host, pool_->sessions());
  tls.async_handshake(asio::ssl::stream_base::client,
                      asio::bind_executor(strand_, [self = self()](boost::system::error_code ec) {
                        self->on_handshake(ec);
                      }));
}

void http_exchange::on_handshake(boost::system::error_code ec) {
  if (ended_) return;
  SSL* ssl = conn_->tls()->native_handle();
  if (ec) {
    std::string why = ec.message();
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) why += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
    fail(attempt_failure::connect, "TLS handshake with " + endpoint_name() + " failed: " + why);
    return;
  }
  pool_->note_opened(SSL_session_reused(ssl) == 1);
  do_write();
}

// ---- request ---------------------------------------------------------------------------------

void http_exchange::do_write() {
  // The first-byte clock starts with the write: a server that does not even read the request
  // is as unresponsive as one that does not answer it.
  arm_phase(timeouts().first_byte, attempt_failure::first_byte_timeout);
  parser_.emplace();
  buffer_.clear();
  header_done_ = false;
  got_byte_ = false;
  const std::array<asio::const_buffer, 2> request{asio::buffer(head_), asio::buffer(spec_.body)};
  conn_->async_write(
      request, asio::bind_executor(strand_, [self = self()](boost::system::error_code ec,
                                                            std::size_t) { self->on_write(ec); }));
}

void http_exchange::on_write(boost::system::error_code ec) {
  if (ended_) return;
  if (ec) {
    on_io_error(ec, io_stage::write);
    return;
  }
  do_read();
}

// ---- response --------------------------------------------------------------------------------

void http_exchange::do_read() {
  if (mode_ == body_mode::drain) {
    const auto idle = timeouts().idle;
    arm_phase(idle.count() > 0 && idle < max_drain_wait ? idle : max_drain_wait,
              attempt_failure::idle_timeout);
  } else if (header_done_) {
    arm_phase(timeouts().idle, attempt_failure::idle_timeout);
  }
  conn_->async_read_some(
      buffer_.prepare(read_chunk_bytes),
      asio::bind_executor(strand_, [self = self()](boost::system::error_code ec, std::size_t n) {
        self->on_read(ec, n);
      }));
}

void http_exchange::on_read(boost::system::error_code ec, std::size_t n) {
  if (ended_ && mode_ != body_mode::drain)
    return;  // failed or cancelled meanwhile; the connection is already closed
  if (!conn_ || !conn_->is_open()) return;
  if (header_done_) disarm_phase();
  if (ec) {
    if (ended_) {  // draining: the connection is just not reusable
      stop_io();
      return;
    }
    on_io_error(ec, io_stage::read);
    return;
  }
  buffer_.commit(n);
  got_byte_ = true;
  process();
}

void http_exchange::on_io_error(boost::system::error_code ec, io_stage stage) {
  // The keep-alive race: the server closed a pooled connection just as we reused it. Nothing of
  // the request was processed, so one fresh connection is safe; a fresh connection gets no retry.
  if (reused_ && !retried_ && !got_byte_) {
    retried_ = true;
    pool_->note_retried();
    conn_->close();
    do_connect();
    return;
  }
  const bool eof = ec == asio::error::eof || ec == asio::ssl::error::stream_truncated;
  if (eof && header_done_ && parser_->need_eof()) {
    // A body delimited by the connection's end (no length, not chunked) is now complete.
    boost::beast::error_code pec;
    parser_->put_eof(pec);
    if (!pec) {
      if (on_body()) on_complete();
      return;
    }
  }
  if (!header_done_) {
    fail(attempt_failure::reset,
         std::string(stage == io_stage::write ? "writing the request to " : "reading from ") +
             endpoint_name() + " failed before a response: " + ec.message());
    return;
  }
  fail(attempt_failure::reset, "the upstream connection broke mid-response (" + ec.message() + ")",
       committed_ ? 0 : parser_->status());
}

void http_exchange::on_resume() {
  if (mode_ == body_mode::stream) process();
}

void http_exchange::recycle() {
  stop_timers();
  const bool reusable = conn_ && conn_->is_open() && parser_ && parser_->is_done() &&
                        parser_->keep_alive() && buffer_.size() == 0;
  if (!reusable) {
    stop_io();
    return;
  }
  ++conn_->exchanges;
  pool_->checkin(std::move(conn_));
}

std::uint32_t http_exchange::relayed_events() const noexcept {
  return relay_ ? relay_->events() : 0;
}

void http_exchange::stop_io() {
  stop_timers();
  if (resolver_) resolver_->cancel();
  // Only close: a pending TLS operation still refers to the stream, which must live until its
  // handler has run (the handler holds this exchange, which holds the connection).
  if (conn_) conn_->close();
}

}  // namespace switchyard::runtime

// The load generator's client connection: connect, TLS, write, always-pending read, parse.
#include "bench/loadgen/connection.hpp"

#include <cstring>
#include <utility>

#include <openssl/ssl.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>

#include "bench/loadgen/worker.hpp"

namespace switchyard::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t initial_read_buffer = 16u << 10;
constexpr std::size_t max_read_buffer = 128u << 10;
// Non-stream chat bodies are kept (to read their usage) up to this size.
constexpr std::size_t max_collected_body = 4u << 20;

error_kind connect_kind(const error_code& ec) {
  if (ec == asio::error::connection_refused) return error_kind::connect_refused;
  if (ec == asio::error::timed_out) return error_kind::connect_timeout;
  if (ec == asio::error::host_unreachable || ec == asio::error::network_unreachable) {
    return error_kind::connect_unreachable;
  }
  return error_kind::connect_other;
}

error_kind io_kind(const error_code& ec) {
  if (ec == asio::error::connection_reset || ec == asio::error::broken_pipe) {
    return error_kind::reset;
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    return error_kind::closed;
  }
  return error_kind::io_other;
}

}  // namespace

connection::connection(worker& owner, asio::io_context& ioc, asio::ssl::context* tls)
    : owner_(owner), socket_(ioc), tls_context_(tls) {}

void connection::open(const ticket& t) {
  state_ = state::connecting;
  pending_ = t;
  deadline_ns_ =
      t.scheduled_ns + static_cast<std::int64_t>(owner_.shared().opts->timeout_ms) * 1'000'000;
  asio::async_connect(
      socket_, owner_.shared().endpoints,
      [self = shared_from_this()](const error_code& ec, const auto&) { self->on_connect(ec); });
}

void connection::on_connect(const error_code& ec) {
  if (state_ == state::closed) return;
  if (ec) {
    owner_.on_connect_result(false, ec.message());
    fail(connect_kind(ec), "connect: " + ec.message(), owner_.shared().now_ns());
    return;
  }
  error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls_context_ == nullptr) {
    on_ready();
    return;
  }
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, *tls_context_);
  const std::string& host = owner_.shared().opts->target.host;
  // SNI, and the name the certificate must carry.
  SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
  if (!owner_.shared().opts->insecure) {
    tls_->set_verify_callback(asio::ssl::host_name_verification(host));
  }
  tls_->async_handshake(
      asio::ssl::stream_base::client,
      [self = shared_from_this()](const error_code& e) { self->on_handshake(e); });
}

void connection::on_handshake(const error_code& ec) {
  if (state_ == state::closed) return;
  if (ec) {
    owner_.on_connect_result(false, "TLS handshake: " + ec.message());
    fail(error_kind::tls_handshake, "TLS handshake: " + ec.message(), owner_.shared().now_ns());
    return;
  }
  on_ready();
}

void connection::on_ready() {
  owner_.on_connect_result(true, {});
  rbuf_.resize(initial_read_buffer);
  rbeg_ = rend_ = 0;
  do_read();
  start_exchange(pending_);
}

void connection::send(const ticket& t) {
  start_exchange(t);
}

void connection::start_exchange(const ticket& t) {
  state_ = state::busy;
  deadline_ns_ =
      t.scheduled_ns + static_cast<std::int64_t>(owner_.shared().opts->timeout_ms) * 1'000'000;
  template_ = &owner_.shared().templates[t.shape];
  parser_.reset(template_->head);
  collect_body_ = !owner_.shared().opts->raw() && !template_->stream;
  body_.clear();
  result_ = exchange_result{};
  result_.t = t;
  result_.stream_request = template_->stream;
  done_waits_for_write_ = false;
  owner_.note_sent(t, owner_.shared().now_ns());
  if (template_->tag_offset != std::string::npos) {
    wbuf_.assign(template_->bytes);
    stamp_tag(wbuf_.data() + template_->tag_offset, t.tag);
    do_write(wbuf_.data(), wbuf_.size());
  } else {
    do_write(template_->bytes.data(), template_->bytes.size());
  }
}

void connection::do_write(const char* data, std::size_t size) {
  writing_ = true;
  auto handler = [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->on_write(ec, n);
  };
  if (tls()) {
    asio::async_write(*tls_, asio::buffer(data, size), std::move(handler));
  } else {
    asio::async_write(socket_, asio::buffer(data, size), std::move(handler));
  }
}

void connection::on_write(const error_code& ec, std::size_t bytes) {
  writing_ = false;
  if (state_ == state::closed) return;
  result_.bytes_out += bytes;
  if (done_waits_for_write_) {
    // The response is already complete; a failed write only means the connection is done.
    done_waits_for_write_ = false;
    if (ec || !keep_after_write_) close_socket();
    complete_exchange();
    return;
  }
  if (ec && state_ == state::busy) {
    fail(io_kind(ec), "write: " + ec.message(), owner_.shared().now_ns());
  }
}

void connection::do_read() {
  if (rend_ == rbuf_.size()) {
    if (rbeg_ > 0) {
      std::memmove(rbuf_.data(), rbuf_.data() + rbeg_, rend_ - rbeg_);
      rend_ -= rbeg_;
      rbeg_ = 0;
    } else {
      rbuf_.resize(rbuf_.size() * 2);
    }
  }
  auto buf = asio::buffer(rbuf_.data() + rend_, rbuf_.size() - rend_);
  auto handler = [self = shared_from_this()](const error_code& ec, std::size_t n) {
    self->on_read(ec, n);
  };
  // (Measured: waiting for readability and then reading, to skip Asio's speculative recv that
  // fails with EAGAIN right after each response, costs an epoll_ctl instead and was no faster.)
  if (tls()) {
    tls_->async_read_some(buf, std::move(handler));
  } else {
    socket_.async_read_some(buf, std::move(handler));
  }
}

void connection::on_read(const error_code& ec, std::size_t bytes) {
  if (state_ == state::closed) return;
  const std::int64_t now = owner_.shared().now_ns();
  if (done_waits_for_write_) {
    // The response is complete and the write still pending; whatever this is (a close, or
    // bytes nobody asked for), the connection cannot take another request.
    done_waits_for_write_ = false;
    close_socket();
    complete_exchange();
    return;
  }
  if (ec) {
    if (state_ != state::busy) {
      on_idle_loss(ec == asio::error::eof || ec == asio::ssl::error::stream_truncated);
      return;
    }
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
      if (parser_.on_eof() == http_response_parser::event::done) {
        on_response_done(now, false);
        return;
      }
      fail(error_kind::closed, parser_.error(), now);
      return;
    }
    fail(io_kind(ec), "read: " + ec.message(), now);
    return;
  }
  rend_ += bytes;
  if (state_ != state::busy) {
    // Bytes nobody asked for: the connection can no longer be trusted to frame responses.
    on_idle_loss(false);
    return;
  }
  result_.bytes_in += bytes;
  process(now);
  if (state_ == state::closed) return;
  if (rbeg_ == rend_) rbeg_ = rend_ = 0;
  if (rend_ == rbuf_.size() && rbeg_ == 0 && rbuf_.size() >= max_read_buffer) {
    fail(error_kind::protocol, "response header or chunk line too large", now);
    return;
  }
  do_read();
}

void connection::process(std::int64_t now) {
  using ev = http_response_parser::event;
  while (true) {
    const std::string_view in(rbuf_.data() + rbeg_, rend_ - rbeg_);
    const auto step = parser_.next(in);
    rbeg_ += step.consumed;
    switch (step.ev) {
      case ev::need_more:
        return;
      case ev::headers: {
        result_.status = parser_.status();
        result_.headers_ns = now;
        const bool ok = result_.status >= 200 && result_.status < 300;
        if (template_->stream && ok) {
          if (parser_.event_stream()) {
            result_.sse = true;
            tracker_.reset(result_.t.scheduled_ns,
                           result_.t.counted ? &owner_.mutable_stats().itl : nullptr);
          } else {
            result_.not_event_stream = true;
          }
        }
        if (!ok) collect_body_ = false;
        break;
      }
      case ev::body:
        if (result_.sse) {
          tracker_.feed(parser_.body(), now);
        } else if (collect_body_) {
          if (body_.size() + parser_.body().size() <= max_collected_body) {
            body_.append(parser_.body());
          } else {
            collect_body_ = false;
            body_.clear();
          }
        }
        break;
      case ev::done:
        // Anything after the end of the response was not asked for: do not reuse.
        on_response_done(now, parser_.keep_alive() && rbeg_ == rend_);
        return;
      case ev::error:
        fail(error_kind::protocol, parser_.error(), now);
        return;
    }
  }
}

void connection::on_response_done(std::int64_t now, bool keep) {
  result_.end_ns = now;
  if (result_.sse) result_.end = tracker_.classify(true);
  if (collect_body_ && !body_.empty()) result_.body_facts = scan_chat_json(body_);
  if (writing_) {
    // The server answered before the request was fully written (say, a 413): wait for the
    // write to finish before the connection can take another request.
    done_waits_for_write_ = true;
    keep_after_write_ = keep;
    return;
  }
  if (!keep) close_socket();
  complete_exchange();
}

void connection::complete_exchange() {
  const bool keep = state_ != state::closed;
  if (keep) state_ = state::ready;
  owner_.on_exchange(*this, result_, keep);
}

void connection::fail(error_kind kind, std::string message, std::int64_t now) {
  const bool was_connecting = state_ == state::connecting;
  close_socket();
  if (was_connecting) {
    result_ = exchange_result{};
    result_.t = pending_;
    result_.stream_request = owner_.shared().templates[pending_.shape].stream;
  }
  result_.error = kind;
  result_.error_message = std::move(message);
  result_.end_ns = now;
  if (result_.sse) {
    if (kind == error_kind::timeout) {
      result_.end = tracker_.saw_error_event() ? stream_end::error_event : stream_end::timed_out;
    } else {
      result_.end = tracker_.classify(false);
    }
  }
  done_waits_for_write_ = false;
  owner_.on_exchange(*this, result_, false);
}

void connection::expire(std::int64_t now) {
  if (state_ == state::connecting) {
    owner_.on_connect_result(false, "no connection within the request timeout");
    fail(error_kind::connect_timeout, "connect: no connection within the request timeout", now);
  } else if (state_ == state::busy) {
    fail(error_kind::timeout, "no complete response within the request timeout", now);
  }
}

void connection::on_idle_loss(bool peer_close) {
  close_socket();
  owner_.on_idle_closed(*this, peer_close);
}

void connection::shutdown() noexcept {
  close_socket();
}

void connection::close_socket() noexcept {
  state_ = state::closed;
  error_code ignored;
  socket_.close(ignored);
}

}  // namespace switchyard::loadgen

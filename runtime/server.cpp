// Accept loop (on its own strand), the connection cap, the session registry used by drain.
#include "runtime/server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "runtime/process.hpp"
#include "runtime/session.hpp"

namespace switchyard::runtime {

namespace net = boost::asio;
using boost::system::error_code;
using tcp = net::ip::tcp;

namespace {
// After an accept error such as EMFILE, wait a little instead of spinning on the failure.
constexpr std::chrono::milliseconds accept_retry_delay{50};
// Out of descriptors, idle connections are looked for at the first failed accept, then every
// this many (about twice a second): each look visits every session.
constexpr std::uint64_t idle_sweep_every = 10;

// The process (EMFILE) or the system (ENFILE) has no descriptor left for a new connection.
bool out_of_descriptors(const error_code& ec) {
  return ec == net::error::no_descriptors ||
         ec == boost::system::errc::too_many_files_open_in_system;
}
}  // namespace

server::server(net::io_context& io, server_options options)
    : io_(io),
      options_(std::move(options)),
      live_(options_.live ? options_.live : std::make_shared<live_config>(options_.config)),
      strand_(net::make_strand(io)),
      acceptor_(strand_),
      retry_timer_(strand_) {}

server::~server() = default;

error_code server::listen() {
  const auto& l = limits();
  std::string host = l.listen_host.empty() ? "0.0.0.0" : l.listen_host;
  error_code ec;
  tcp::resolver resolver{io_};
  auto results = resolver.resolve(host, std::to_string(l.listen_port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec) return ec;
  error_code last = net::error::host_not_found;
  for (const auto& entry : results) {
    auto endpoint = entry.endpoint();
    error_code e;
    acceptor_.open(endpoint.protocol(), e);
    if (!e) acceptor_.set_option(net::socket_base::reuse_address(true), e);
    if (!e) acceptor_.bind(endpoint, e);
    if (!e) acceptor_.listen(net::socket_base::max_listen_connections, e);
    if (!e) return {};
    last = e;
    error_code ignored;
    acceptor_.close(ignored);
  }
  return last;
}

tcp::endpoint server::local_endpoint() const {
  error_code ec;
  return acceptor_.local_endpoint(ec);
}

void server::start() {
  net::dispatch(strand_, [self = shared_from_this()] {
    if (self->started_ || self->draining() || !self->acceptor_.is_open()) return;
    self->started_ = true;
    self->accepting_ = true;
    self->do_accept();
  });
}

void server::do_accept() {
  // Each connection gets a strand of its own: its handlers never run concurrently.
  acceptor_.async_accept(net::make_strand(io_),
                         boost::beast::bind_front_handler(&server::on_accept, shared_from_this()));
}

void server::on_accept(error_code ec, tcp::socket socket) {
  if (draining() || !acceptor_.is_open()) {
    accepting_ = false;
    return;  // a socket accepted just now is closed by its destructor
  }
  if (ec) {
    if (ec == net::error::operation_aborted) {
      accepting_ = false;
      return;
    }
    retry_accept(ec);
    return;
  }
  if (accept_failures_ != 0) {
    log_line("info",
             "accepting again after " + std::to_string(accept_failures_) + " failed accept(s)");
    accept_failures_ = 0;
  }
  auto id = next_id_++;
  stats_.connections_open.fetch_add(1, std::memory_order_relaxed);
  stats_.connections_accepted_total.fetch_add(1, std::memory_order_relaxed);
  auto s = std::make_shared<session>(std::move(socket), shared_from_this(), id);
  sessions_.emplace(id, s);
  s->start();
  if (static_cast<std::uint64_t>(stats_.connections_open.load(std::memory_order_relaxed)) >=
      limits().max_connections) {
    accepting_ = false;  // resumed by on_session_closed once a connection closes
    return;
  }
  do_accept();
}

void server::retry_accept(const error_code& ec) {
  stats_.accept_errors_total.fetch_add(1, std::memory_order_relaxed);
  if (accept_failures_++ == 0)
    log_line("warning", "accept failed: " + ec.message() + "; retrying every " +
                            std::to_string(accept_retry_delay.count()) + " ms");
  if (out_of_descriptors(ec) && accept_failures_ % idle_sweep_every == 1) {
    // Clients in the listen queue wait for an answer, while keep-alive connections that wait
    // for a request hold descriptors for nothing. Without this, a gateway whose descriptors all
    // sit in idle connections accepts nothing until their idle_timeout.
    for (auto& [id, weak] : sessions_)
      if (auto s = weak.lock()) s->close_if_idle();
  }
  retry_timer_.expires_after(accept_retry_delay);
  retry_timer_.async_wait([self = shared_from_this()](error_code e) {
    if (!e && !self->draining() && self->acceptor_.is_open())
      self->do_accept();
    else
      self->accepting_ = false;
  });
}

void server::on_session_closed(std::uint64_t id) {
  net::post(strand_, [self = shared_from_this(), id] {
    if (self->sessions_.erase(id) == 0) return;
    auto open = self->stats_.connections_open.fetch_sub(1, std::memory_order_relaxed) - 1;
    if (self->started_ && !self->accepting_ && !self->draining() && self->acceptor_.is_open() &&
        static_cast<std::uint64_t>(open) < self->limits().max_connections) {
      self->accepting_ = true;
      self->do_accept();
    }
    self->check_idle();
  });
}

void server::drain(std::function<void()> on_idle) {
  // Visible at once (readiness, keep-alive decisions); the rest happens on the acceptor strand.
  stats_.draining.store(true, std::memory_order_release);
  net::dispatch(strand_, [self = shared_from_this(), on_idle = std::move(on_idle)]() mutable {
    if (!self->drain_started_) {
      self->drain_started_ = true;
      error_code ignored;
      self->acceptor_.close(ignored);
      self->retry_timer_.cancel();
      for (auto& [id, weak] : self->sessions_)
        if (auto s = weak.lock()) s->drain();
    }
    self->on_idle_ = std::move(on_idle);
    self->check_idle();
  });
}

void server::close_all() {
  net::dispatch(strand_, [self = shared_from_this()] {
    for (auto& [id, weak] : self->sessions_)
      if (auto s = weak.lock()) s->close_now();
  });
}

void server::check_idle() {
  if (draining() && on_idle_ && stats_.connections_open.load(std::memory_order_relaxed) == 0) {
    auto callback = std::move(on_idle_);
    on_idle_ = nullptr;
    callback();
  }
}

}  // namespace switchyard::runtime

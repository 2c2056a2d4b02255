// The mock provider's accept loop, thread pool and signal handling.
#include "bench/mock_provider/server.hpp"

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

#include "bench/mock_provider/session.hpp"

namespace switchyard::mock {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

server::server(options opts)
    : state_(std::make_shared<server_state>(std::move(opts))),
      // One thread needs no locking inside the scheduler.
      ioc_(state_->opts.threads == 1 ? 1 : static_cast<int>(state_->opts.threads)),
      // Down phases close and reopen the acceptor from a timer: both live on one strand.
      acceptor_(net::make_strand(ioc_)),
      accept_retry_(acceptor_.get_executor()),
      phase_timer_(acceptor_.get_executor()) {}

server::~server() {
  stop();
  state_->on_clock_restart = nullptr;
  // Queued requests hold their sessions; release them so they are destroyed with the server.
  state_->gate.abandon_waiters();
}

protocols::result<tcp::endpoint, std::string> server::listen() {
  beast::error_code ec;
  auto address = net::ip::make_address(state_->opts.listen_host, ec);
  if (ec) return "bad listen address " + state_->opts.listen_host + ": " + ec.message();
  tcp::endpoint endpoint(address, state_->opts.listen_port);
  auto where = format_endpoint(state_->opts.listen_host, state_->opts.listen_port);

  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return "cannot open a socket for " + where + ": " + ec.message();
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return "cannot set SO_REUSEADDR on " + where + ": " + ec.message();
  acceptor_.bind(endpoint, ec);
  if (ec) return "cannot bind " + where + ": " + ec.message();
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on " + where + ": " + ec.message();
  auto bound = acceptor_.local_endpoint(ec);
  if (ec) return "cannot read the bound address of " + where + ": " + ec.message();
  bound_ = bound;
  do_accept();
  if (state_->phases.has_down_phases()) {
    state_->on_clock_restart = [this] {
      net::post(acceptor_.get_executor(), [this] { schedule_phases(); });
    };
    net::post(acceptor_.get_executor(), [this] { schedule_phases(); });
  }
  return bound;
}

void server::schedule_phases() {
  auto now = timeline::clock::now();
  bool should_be_down = state_->phases.down_at(now);
  if (should_be_down && !down_) go_down();
  if (!should_be_down && down_) come_up();
  phase_timer_.cancel();
  auto edge = state_->phases.next_down_edge(now);
  if (!edge) return;
  // A hair past the edge, so that down_at() already sees the new side of it.
  phase_timer_.expires_at(*edge + std::chrono::microseconds(100));
  phase_timer_.async_wait([this](beast::error_code ec) {
    if (!ec) schedule_phases();
  });
}

void server::go_down() {
  down_ = true;
  beast::error_code ec;
  accept_retry_.cancel();
  acceptor_.close(ec);
  auto sessions = state_->live_sessions();
  std::fprintf(stderr,
               "mock_provider: down at t=%.3fs (phase): listener and %zu connection(s) closed\n",
               state_->phases.elapsed_s(), sessions.size());
  for (auto& s : sessions) s->kill();
}

void server::come_up() {
  beast::error_code ec;
  acceptor_.open(bound_.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(bound_, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    // Someone else may hold the port for a moment: keep trying while the phase says up.
    std::fprintf(stderr, "mock_provider: cannot listen again on port %u: %s; retrying\n",
                 static_cast<unsigned>(bound_.port()), ec.message().c_str());
    beast::error_code ignored;
    acceptor_.close(ignored);
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && down_ && !state_->phases.down_at(timeline::clock::now())) come_up();
    });
    return;
  }
  down_ = false;
  std::fprintf(stderr, "mock_provider: up again at t=%.3fs on port %u\n",
               state_->phases.elapsed_s(), static_cast<unsigned>(bound_.port()));
  do_accept();
}

void server::stop_on_signals() {
  signals_.emplace(ioc_, SIGINT, SIGTERM);
  signals_->async_wait([this](beast::error_code ec, int signo) {
    if (ec) return;
    std::fprintf(stderr, "mock_provider: signal %d, stopping\n", signo);
    stop();
  });
}

void server::run() {
  std::vector<std::thread> threads;
  threads.reserve(state_->opts.threads - 1);
  for (unsigned i = 1; i < state_->opts.threads; ++i) {
    threads.emplace_back([this] { ioc_.run(); });
  }
  ioc_.run();
  for (auto& t : threads) t.join();
}

void server::stop() {
  // Pending sessions are destroyed with the io_context; their sockets close then.
  ioc_.stop();
}

void server::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_),
                         beast::bind_front_handler(&server::on_accept, this));
}

void server::on_accept(beast::error_code ec, tcp::socket socket) {
  // Down (or stopping): a connection accepted in the same instant is closed with `socket`.
  if (ec == net::error::operation_aborted || !acceptor_.is_open() || down_) return;
  if (ec) {
    // Out of descriptors or memory: back off briefly instead of spinning on the error.
    std::fprintf(stderr, "mock_provider: accept failed: %s\n", ec.message().c_str());
    accept_retry_.expires_after(std::chrono::milliseconds(50));
    accept_retry_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && !down_) do_accept();
    });
    return;
  }
  beast::error_code opt_ec;
  // Streams write small chunks; Nagle would hold them back behind delayed ACKs.
  socket.set_option(tcp::no_delay(true), opt_ec);
  std::make_shared<session>(std::move(socket), state_)->start();
  do_accept();
}

}  // namespace switchyard::mock

// The mock provider's listener: binds, accepts connections onto strands of one io_context run
// by N threads, goes down and comes back on the same port as timed phases say, and stops on
// SIGINT/SIGTERM or on request.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include "bench/mock_provider/options.hpp"
#include "bench/mock_provider/server_state.hpp"
#include "protocols/result.hpp"

namespace switchyard::mock {

/// The whole mock provider, embeddable in a test process.
class server {
 public:
  explicit server(options opts);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens on the configured address. Returns the bound endpoint (with the real
  /// port when 0 was asked) or why binding failed.
  protocols::result<boost::asio::ip::tcp::endpoint, std::string> listen();

  /// Makes SIGINT and SIGTERM call `stop()`. For the executable, not for tests.
  void stop_on_signals();

  /// Accepts and serves on `threads` threads (the caller's included) until `stop()`.
  void run();

  /// Stops accepting and serving; `run()` returns soon after. Thread-safe.
  void stop();

  /// The shared state (fault plan, counters), for tests that drive it directly.
  server_state& state() noexcept { return *state_; }

 private:
  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  // Down phases, all on the acceptor's strand: go down or up as the timeline says now, then
  // wait for its next edge.
  void schedule_phases();
  void go_down();
  void come_up();

  std::shared_ptr<server_state> state_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer accept_retry_;
  boost::asio::steady_timer phase_timer_;
  boost::asio::ip::tcp::endpoint bound_;
  bool down_ = false;
  std::optional<boost::asio::signal_set> signals_;
};

}  // namespace switchyard::mock

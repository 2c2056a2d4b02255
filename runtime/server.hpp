// The ingress listener: accepts client connections (each on its own strand), pauses accepting
// above max_connections, backs off (shedding idle connections) when out of descriptors, and
// drains connections on shutdown.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "actors/gateway.hpp"
#include "config/config.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/auth.hpp"
#include "runtime/ingress_stats.hpp"
#include "runtime/live_config.hpp"

namespace switchyard::runtime {

class metrics;
class session;

/// What the server serves with.
struct server_options {
  /// Limits, timeouts, listen address, tenants and models.
  config::snapshot_ptr config;
  /// Hands a decoded, authenticated request to the control plane (production: `gateway::submit`).
  /// Called on the session's strand; must not block.
  std::function<void(actors::request_context)> submit;
  /// Looks up a finished request's record for GET /v1/generation (production:
  /// `gateway::find_usage`); `done` may run on any thread. Null makes that route answer 404.
  std::function<void(std::string request_id, std::string key_id,
                     std::function<void(std::optional<actors::request_record>)> done)>
      find_usage;
  /// Serves GET /metrics; null makes that route answer 404.
  std::shared_ptr<metrics> exporter;
  /// Budgets and rate limits, for GET /v1/key (production: `gateway::budgets`); null makes that
  /// route answer 404.
  const actors::budget_book* budgets = nullptr;
  /// The tenants and keys requests authenticate against, changed at run time by the admin API
  /// and hot reloads. Null: a fixed one built from `config`.
  std::shared_ptr<live_config> live;
  /// Answers an authenticated /admin/* call (production: `admin_frontend::handle`); `done` may
  /// run on any thread. Null makes /admin/* answer 404.
  std::function<void(admin_request, std::function<void(admin_response)>)> admin;
  /// The usage writer's figures, for fail-closed refusals and readiness (see storage_guard.hpp);
  /// null = no usage store. Must outlive every session (production: the gateway's).
  const actors::usage_writer_stats* usage = nullptr;
  /// Hears chat, embeddings and messages requests the ingress refused (bad key, undecodable
  /// body), which never reach the control plane: the access log. May be null.
  std::shared_ptr<actors::request_observer> rejected;
};

/// The HTTP/1.1 ingress server. Create with `std::make_shared`; sessions keep it alive.
class server : public std::enable_shared_from_this<server> {
 public:
  server(boost::asio::io_context& io, server_options options);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens on `server.listen_host:listen_port` of the config.
  boost::system::error_code listen();
  /// The bound address (the real port when the config asked for 0).
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  /// Starts accepting connections. Call once, after a successful `listen()`.
  void start();

  /// Graceful drain: stops accepting, makes /health/ready answer 503, closes idle connections
  /// and lets busy ones finish their current response (sent with `Connection: close`).
  /// `on_idle` runs once, on an I/O thread, when no connection is left open.
  void drain(std::function<void()> on_idle);
  /// Closes every open connection now.
  void close_all();

  /// True once `drain` was called.
  bool draining() const noexcept { return stats_.draining.load(std::memory_order_acquire); }

  /// Live figures (read by the metrics exporter).
  ingress_stats& stats() noexcept { return stats_; }
  const ingress_stats& stats() const noexcept { return stats_; }
  /// What the server was created with.
  const server_options& options() const noexcept { return options_; }
  const config::snapshot& config() const noexcept { return *options_.config; }
  const config::server_config& limits() const noexcept { return options_.config->server; }
  /// The tenants and keys now (see live_config.hpp). Read once per request.
  std::shared_ptr<const live_state> live() const { return live_->current(); }

  /// A session closed its socket. Any thread.
  void on_session_closed(std::uint64_t id);

 private:
  void do_accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void retry_accept(const boost::system::error_code& ec);
  void check_idle();

  boost::asio::io_context& io_;
  server_options options_;
  std::shared_ptr<live_config> live_;
  ingress_stats stats_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;

  // Acceptor-strand state.
  bool accepting_ = false;
  bool started_ = false;
  bool drain_started_ = false;
  std::uint64_t next_id_ = 1;
  std::uint64_t accept_failures_ = 0;  // in a row; logged once per streak
  std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions_;
  std::function<void()> on_idle_;
};

}  // namespace switchyard::runtime

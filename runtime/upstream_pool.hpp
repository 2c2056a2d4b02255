// The idle keep-alive connections of one upstream provider, reused most-recently-idle first, and
// the provider's TLS session cache. Shared by every I/O thread; the lock covers only list edits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "config/config.hpp"
#include "runtime/tls_context.hpp"
#include "runtime/upstream_connection.hpp"

namespace switchyard::runtime {

/// Counters of one pool, for metrics and tests.
struct upstream_pool_stats {
  std::uint64_t connections_opened = 0;  ///< TCP connections established (with TLS if https)
  std::uint64_t reused = 0;              ///< exchanges that started on a pooled connection
  std::uint64_t stale_discarded = 0;     ///< pooled connections found closed or expired at reuse
  std::uint64_t retried = 0;             ///< reused connections that failed before any byte
  std::uint64_t tls_resumed = 0;         ///< TLS handshakes that resumed a cached session
  std::size_t idle = 0;                  ///< idle connections held now
};

class upstream_pool {
 public:
  /// A pooled connection idle longer than this is closed at reuse instead of trusted: many
  /// servers drop idle keep-alive connections after 5 to 60 s, and the loser of that race pays
  /// a failed request.
  static constexpr std::chrono::seconds max_idle_age{30};

  /// A pool for provider `provider_name` at `endpoint`, keeping at most `max_idle` idle
  /// connections. `tls` is required when `endpoint.tls`. `io` must outlive the pool.
  upstream_pool(boost::asio::io_context& io, std::string provider_name, config::url endpoint,
                std::size_t max_idle, std::shared_ptr<tls_context> tls);
  ~upstream_pool();
  upstream_pool(const upstream_pool&) = delete;
  upstream_pool& operator=(const upstream_pool&) = delete;

  /// The most recently idled live connection, or nullptr. Dead or expired ones are closed.
  std::unique_ptr<upstream_connection> checkout();

  /// Returns a connection whose last response completed cleanly and kept it alive. Closed when
  /// the pool already holds `max_idle` connections.
  void checkin(std::unique_ptr<upstream_connection> conn);

  /// A new unconnected connection on the io_context's executor.
  std::unique_ptr<upstream_connection> make_connection();

  /// Closes every idle connection (shutdown).
  void close_idle();

  /// The provider left the config or moved (hot reload): closes the idle connections, and every
  /// connection checked in from now on, so exchanges still running finish and nothing lingers.
  void retire();

  const std::string& provider_name() const noexcept { return provider_name_; }
  const config::url& endpoint() const noexcept { return endpoint_; }
  /// The shared TLS context; nullptr for plain-HTTP providers.
  tls_context* tls() const noexcept { return tls_.get(); }
  tls_session_cache& sessions() noexcept { return sessions_; }

  /// Called by exchanges as connections are opened, reused or retried.
  void note_opened(bool tls_resumed) noexcept;
  void note_reused() noexcept { reused_.fetch_add(1, std::memory_order_relaxed); }
  void note_retried() noexcept { retried_.fetch_add(1, std::memory_order_relaxed); }

  upstream_pool_stats stats() const;

 private:
  boost::asio::io_context& io_;
  std::string provider_name_;
  config::url endpoint_;
  std::size_t max_idle_;
  std::shared_ptr<tls_context> tls_;
  tls_session_cache sessions_;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<upstream_connection>> idle_;  // back = most recently idled
  bool retired_ = false;                                    // under mutex_

  std::atomic<std::uint64_t> opened_{0};
  std::atomic<std::uint64_t> reused_{0};
  std::atomic<std::uint64_t> stale_{0};
  std::atomic<std::uint64_t> retried_{0};
  std::atomic<std::uint64_t> resumed_{0};
};

}  // namespace switchyard::runtime

// Per-provider idle connection pool (see upstream_pool.hpp).
#include "runtime/upstream_pool.hpp"

#include <utility>

namespace switchyard::runtime {

upstream_pool::upstream_pool(boost::asio::io_context& io, std::string provider_name,
                             config::url endpoint, std::size_t max_idle,
                             std::shared_ptr<tls_context> tls)
    : io_(io),
      provider_name_(std::move(provider_name)),
      endpoint_(std::move(endpoint)),
      max_idle_(max_idle),
      tls_(std::move(tls)) {
  idle_.reserve(max_idle_ < 64 ? max_idle_ : 64);
}

upstream_pool::~upstream_pool() {
  close_idle();
}

std::unique_ptr<upstream_connection> upstream_pool::checkout() {
  const auto now = std::chrono::steady_clock::now();
  for (;;) {
    std::unique_ptr<upstream_connection> conn;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (idle_.empty()) return nullptr;
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
    // The liveness probe is a syscall: keep it outside the lock.
    if (now - conn->idle_since < max_idle_age && conn->idle_and_usable()) return conn;
    stale_.fetch_add(1, std::memory_order_relaxed);
  }  // a stale `conn` closes its socket here
}

void upstream_pool::checkin(std::unique_ptr<upstream_connection> conn) {
  if (!conn || !conn->is_open()) return;
  conn->idle_since = std::chrono::steady_clock::now();
  std::unique_ptr<upstream_connection> overflow;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!retired_ && idle_.size() < max_idle_)
      idle_.push_back(std::move(conn));
    else
      overflow = std::move(conn);
  }
}

std::unique_ptr<upstream_connection> upstream_pool::make_connection() {
  return std::make_unique<upstream_connection>(io_.get_executor());
}

void upstream_pool::close_idle() {
  std::vector<std::unique_ptr<upstream_connection>> all;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    all.swap(idle_);
  }
}

void upstream_pool::retire() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    retired_ = true;  // checkin closes from now on
  }
  close_idle();
}

void upstream_pool::note_opened(bool tls_resumed) noexcept {
  opened_.fetch_add(1, std::memory_order_relaxed);
  if (tls_resumed) resumed_.fetch_add(1, std::memory_order_relaxed);
}

upstream_pool_stats upstream_pool::stats() const {
  upstream_pool_stats s;
  s.connections_opened = opened_.load(std::memory_order_relaxed);
  s.reused = reused_.load(std::memory_order_relaxed);
  s.stale_discarded = stale_.load(std::memory_order_relaxed);
  s.retried = retried_.load(std::memory_order_relaxed);
  s.tls_resumed = resumed_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> guard{mutex_};
  s.idle = idle_.size();
  return s;
}

}  // namespace switchyard::runtime

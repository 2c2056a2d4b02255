// The admin-change listener (see pg_listener.hpp): poll(2) on the connection's socket and an
// eventfd that `stop` signals.
#include "runtime/pg_listener.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <libpq-fe.h>

#include "runtime/pg_admin_store.hpp"
#include "runtime/pg_connection.hpp"
#include "runtime/process.hpp"

namespace switchyard::runtime {

namespace {

constexpr int first_retry_ms = 250;
constexpr int max_retry_ms = 2000;

}  // namespace

pg_listener::pg_listener(std::string url, std::string origin, std::function<void()> on_change)
    : url_(std::move(url)), origin_(std::move(origin)), on_change_(std::move(on_change)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
}

pg_listener::~pg_listener() {
  stop();
}

void pg_listener::stop() {
  if (!stopping_.exchange(true) && wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    auto rc = ::write(wake_fd_, &one, sizeof one);
    (void)rc;
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

bool pg_listener::pause(int ms) {
  pollfd wake{wake_fd_, POLLIN, 0};
  ::poll(&wake, 1, ms);
  return !stopping_.load();
}

void pg_listener::run() {
  std::unique_ptr<pg_connection> conn;
  int retry_ms = first_retry_ms;
  bool outage_logged = false;
  while (!stopping_.load()) {
    std::string error;
    const bool connected =
        conn ? conn->ensure(error) : (conn = pg_connection::open(url_, error)) != nullptr;
    if (!connected || !conn->run(std::string{"LISTEN "} + admin_channel, error)) {
      up_.store(false);
      if (!outage_logged)
        log_line("error",
                 "admin changes of other nodes are not heard until PostgreSQL is back: " + error);
      outage_logged = true;
      if (!pause(retry_ms)) break;
      retry_ms = std::min(retry_ms * 2, max_retry_ms);
      continue;
    }
    if (outage_logged) log_line("info", "listening for admin changes again; re-reading the store");
    outage_logged = false;
    retry_ms = first_retry_ms;
    up_.store(true);
    PGconn* raw = conn->raw();
    // Whatever was announced while we were not listening is in the store: read it all. That read
    // also covers announcements libpq buffered with LISTEN's answer (no socket wake-up follows).
    while (PGnotify* n = PQnotifies(raw)) PQfreemem(n);
    on_change_();
    while (!stopping_.load()) {
      pollfd fds[2] = {{PQsocket(raw), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      // A bounded wait: `stopping_` is seen even if the eventfd could not be created.
      if (::poll(fds, 2, 1000) < 0 && errno != EINTR) break;
      if (fds[1].revents != 0) break;
      if (fds[0].revents == 0) continue;
      if (PQconsumeInput(raw) == 0) break;  // the connection is gone
      bool changed = false;
      while (PGnotify* n = PQnotifies(raw)) {
        if (n->extra == nullptr || origin_ != n->extra) changed = true;
        PQfreemem(n);
      }
      if (changed) on_change_();
      if (PQstatus(raw) != CONNECTION_OK) break;
    }
    up_.store(false);
    if (!stopping_.load()) {
      log_line("error", "lost the PostgreSQL connection that hears admin changes; reconnecting");
      outage_logged = true;
      // A broken connection is replaced by `ensure`; one libpq still thinks is fine is not.
      conn.reset();
    }
  }
  up_.store(false);
}

}  // namespace switchyard::runtime

// Admin changes made on other nodes (or by `switchyard admin` against the same database): a
// thread with its own PostgreSQL connection that LISTENs on `switchyard_admin` and calls back
// when a change is announced. Notifications sent while it is disconnected are lost, so after
// every (re)connection it calls back as well: the callback re-reads the whole store.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace switchyard::runtime {

class pg_listener {
 public:
  /// Starts listening on `url`. `on_change` runs on the listener's thread: after each LISTEN
  /// (the first connection included) and after every batch of notifications whose payload is
  /// not `origin` (this node's own changes are applied where they are made).
  pg_listener(std::string url, std::string origin, std::function<void()> on_change);
  ~pg_listener();
  pg_listener(const pg_listener&) = delete;
  pg_listener& operator=(const pg_listener&) = delete;

  /// Stops the thread and closes the connection. Idempotent.
  void stop();

  /// True while connected and listening (any thread).
  const std::atomic<bool>& up() const noexcept { return up_; }

 private:
  void run();
  /// Sleeps up to `ms` milliseconds; false when woken by `stop`.
  bool pause(int ms);

  std::string url_;
  std::string origin_;
  std::function<void()> on_change_;
  std::atomic<bool> up_{false};
  std::atomic<bool> stopping_{false};
  int wake_fd_ = -1;
  std::thread thread_;
};

}  // namespace switchyard::runtime

// A private redis-server for tests: a free loopback port, its data in a temp dir, stopped on
// destruction. `stop()` then `start()` restarts it on the same port and data (restart tests).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace switchyard::itest {

class redis_server {
 public:
  /// Starts redis-server (from $PATH) with its data and logs under `dir`; throws if it does not
  /// answer PING within the default timeout.
  explicit redis_server(const temp_dir& dir);
  ~redis_server();
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  std::uint16_t port() const { return port_; }
  /// "redis://127.0.0.1:PORT": what `counters:` points at.
  std::string url() const;

  /// SIGTERM, then SIGKILL after a grace period; the port refuses connections afterwards.
  void stop();
  /// SIGKILL at once (no shutdown save): a crash.
  void kill();
  /// Starts it again on the same port and data directory; throws unless it answers PING.
  void start();
  bool running() const { return proc_ != nullptr; }

  /// True when a fresh connection gets +PONG within `timeout`.
  bool ping(ms timeout = 1s) const;

  /// Runs one command on a fresh connection and returns the reply as text (a string, status or
  /// integer reply; "(nil)" for nil; array elements joined by '\n'). Throws on a connection error
  /// or an error reply. For checking what the gateway stored.
  std::string query(const std::vector<std::string>& args) const;

 private:
  std::filesystem::path data_dir_;
  std::filesystem::path log_dir_;
  std::uint16_t port_ = 0;
  int starts_ = 0;
  std::unique_ptr<process> proc_;
};

}  // namespace switchyard::itest

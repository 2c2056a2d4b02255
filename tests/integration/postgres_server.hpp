// A private PostgreSQL server for tests: initdb into a temporary directory (trust authentication,
// loopback TCP only), a `switchyard` database, stop and start again on the same port and data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "harness.hpp"

namespace switchyard::itest {

/// One PostgreSQL 15 server on a free loopback port. The constructor runs initdb, starts the
/// server and waits until it answers; the destructor stops it and removes its directory.
/// PostgreSQL refuses to run as root, so when the test runs as root the server runs as the
/// `postgres` system user (Debian's package creates it) and owns its directory.
class postgres_server {
 public:
  /// The superuser and database every test uses.
  static constexpr const char* user = "switchyard";
  static constexpr const char* database = "switchyard";

  postgres_server();
  ~postgres_server();
  postgres_server(const postgres_server&) = delete;
  postgres_server& operator=(const postgres_server&) = delete;

  std::uint16_t port() const { return port_; }
  /// "postgres://switchyard@127.0.0.1:PORT/switchyard": what `storage:` points at.
  std::string url() const;
  /// The same server as a libpq keyword string (for clients that take no URL).
  std::string conninfo() const;

  /// Fast shutdown (SIGINT: clients are disconnected, the data is checkpointed), then SIGKILL if
  /// it has not exited after a deadline. Idempotent. The port then refuses connections.
  void stop();
  /// Starts the server again on the same port and data directory; waits until it answers.
  void start();
  bool running() { return proc_ && proc_->running(); }

  /// Runs `sql` on the test database and returns every row, each column as text ("" for NULL).
  /// Throws with the server's message on an error.
  std::vector<std::vector<std::string>> query(const std::string& sql) const;

 private:
  void wait_ready();

  std::filesystem::path dir_;
  std::filesystem::path bindir_;
  std::uint16_t port_ = 0;
  int generation_ = 0;  // numbers the log file of each start
  std::unique_ptr<process> proc_;
};

}  // namespace switchyard::itest

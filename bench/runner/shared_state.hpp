// The shared state of a benchmarked cluster (`gateway.shared_state: true`): a private
// redis-server and PostgreSQL for one system's stack, on free loopback ports, their logs in the
// run's raw/ folder, stopped with the stack.
#pragma once

#include <cstdint>
#include <string>

#include "bench/runner/process.hpp"

namespace switchyard::bench {

class shared_state {
 public:
  shared_state() = default;
  shared_state(const shared_state&) = delete;
  shared_state& operator=(const shared_state&) = delete;
  ~shared_state();

  /// Starts both servers under `dir`; empty on success, else what failed.
  std::string start(const std::string& dir);

  /// "redis://127.0.0.1:PORT" and "postgres://switchyard@127.0.0.1:PORT/switchyard".
  std::string counters_url() const;
  std::string storage_url() const;

 private:
  std::string start_redis(const std::string& dir);
  std::string start_postgres(const std::string& dir);

  child redis_, postgres_;
  std::string data_dir_;  ///< PostgreSQL's, removed with the servers
  std::uint16_t redis_port_ = 0, postgres_port_ = 0;
};

}  // namespace switchyard::bench

// Port: the shared counters that grant budget leases (runtime/counters_service with Redis). The
// gateway asks for a top-up when a request does not fit its leases, and admits it again when the
// answer comes — never waiting on an I/O thread.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "actors/rate_slice.hpp"
#include "config/cluster_config.hpp"

namespace switchyard::actors {

class limit_account;

class lease_source {
 public:
  virtual ~lease_source() = default;

  /// False while the counters are known to be unreachable (a request then does not wait).
  virtual bool up() const noexcept = 0;

  /// What to do with budgets and rate limits while the counters are unreachable.
  virtual const config::counters_down_config& when_down() const noexcept = 0;

  /// Tops each account's lease up until it has room for its amount (USD), where the shared
  /// budget allows, then calls `done` once, on another thread, within a bounded time: with true
  /// when the counters answered (the leases may still be short: the budget is nearly spent), false
  /// when they could not be reached. Never blocks.
  virtual void top_up(std::vector<std::pair<std::shared_ptr<limit_account>, double>> room,
                      std::function<void(bool answered)> done) = 0;

  /// Takes a new slice of each shared rate window for its need (see rate_slice.hpp), then calls
  /// `done` once, on another thread, within a bounded time: true when the counters answered (a
  /// slice may still be short: the window is full), false when they could not be reached.
  /// Never blocks.
  virtual void take_rates(std::vector<rate_need> needs,
                          std::function<void(bool answered)> done) = 0;
};

}  // namespace switchyard::actors

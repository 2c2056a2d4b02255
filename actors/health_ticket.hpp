// One attempt's claim on its provider's health bookkeeping: counts the attempt when made, and
// reports its outcome exactly once — as `neutral` from the destructor if nobody did, so a crashed
// request actor can never hold a half-open probe (and with it the provider's recovery) forever.
#pragma once

#include <chrono>
#include <memory>
#include <utility>

#include "actors/provider_stats.hpp"

namespace switchyard::actors {

class health_ticket {
 public:
  health_ticket() = default;
  health_ticket(std::shared_ptr<provider_stats> stats, clock::time_point now)
      : stats_(std::move(stats)), probe_(stats_->health.start_attempt(now)) {}
  health_ticket(health_ticket&& o) noexcept : stats_(std::move(o.stats_)), probe_(o.probe_) {}
  health_ticket& operator=(health_ticket&& o) noexcept {
    if (this != &o) {
      release();
      stats_ = std::move(o.stats_);
      probe_ = o.probe_;
    }
    return *this;
  }
  health_ticket(const health_ticket&) = delete;
  health_ticket& operator=(const health_ticket&) = delete;
  ~health_ticket() { release(); }

  /// True when the attempt is its provider's half-open probe.
  bool probe() const noexcept { return probe_; }

  /// Reports the attempt's end (see `provider_health::finish_attempt`); later calls do nothing.
  void settle(clock::time_point now, health_outcome outcome, std::chrono::microseconds ttfb,
              std::chrono::seconds retry_after) {
    if (!stats_) return;
    stats_->health.finish_attempt(now, probe_, outcome, ttfb, retry_after);
    stats_.reset();
  }

 private:
  void release() {
    if (stats_) stats_->health.finish_attempt(clock::time_point{}, probe_, health_outcome::neutral);
    stats_.reset();
  }

  std::shared_ptr<provider_stats> stats_;
  bool probe_ = false;
};

}  // namespace switchyard::actors

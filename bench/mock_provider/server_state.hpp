// What every connection of the mock provider shares: the options, the live fault plan, the
// scenario timeline, the concurrency gate, the counters and the registry of open sessions.
// Options are immutable after start; everything else is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench/mock_provider/capacity_gate.hpp"
#include "bench/mock_provider/faults.hpp"
#include "bench/mock_provider/options.hpp"
#include "bench/mock_provider/request_log.hpp"
#include "bench/mock_provider/stats.hpp"
#include "bench/mock_provider/timeline.hpp"

namespace switchyard::mock {

class session;

/// Shared by the server and all its sessions (held by shared_ptr so that a session outliving
/// the server during shutdown still finds it).
struct server_state {
  explicit server_state(options o)
      : opts(std::move(o)),
        faults(opts.seed, opts.faults),
        phases(opts.seed, effective_latency(opts), opts.tokens_per_second, opts.phases),
        gate(opts.max_concurrency),
        requests(opts.record_requests),
        expected_authorization(opts.api_key ? "Bearer " + *opts.api_key : std::string{}) {}

  const options opts;
  fault_plan faults;
  /// The scenario clock, latency model and timed phases.
  timeline phases;
  /// --max-concurrency.
  capacity_gate gate;
  request_log requests;
  stats counters;
  /// "Bearer <api_key>", precomputed; empty when no key is required.
  const std::string expected_authorization;
  /// Source of response ids.
  std::atomic<std::uint64_t> next_id{1};
  /// Set by the server: called (from any thread) after POST /_mock/clock restarted the clock,
  /// so that down phases are rescheduled.
  std::function<void()> on_clock_restart;

  /// Every open session, so that a down phase can close them all.
  void add_session(const session* key, std::weak_ptr<session> s) {
    std::lock_guard lock(sessions_mu_);
    sessions_.emplace(key, std::move(s));
  }
  void remove_session(const session* key) {
    std::lock_guard lock(sessions_mu_);
    sessions_.erase(key);
  }
  std::vector<std::shared_ptr<session>> live_sessions() {
    std::vector<std::shared_ptr<session>> out;
    std::lock_guard lock(sessions_mu_);
    out.reserve(sessions_.size());
    for (auto& [key, weak] : sessions_) {
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

 private:
  std::mutex sessions_mu_;
  std::unordered_map<const session*, std::weak_ptr<session>> sessions_;
};

}  // namespace switchyard::mock

// One provider's health, shared by every request that uses it: its circuit breaker (outlier
// ejection with half-open probes), its Retry-After cooldown, its retry budget, its hedge token
// bucket and its time-to-first-byte estimate. Request actors report attempt outcomes here
// directly (a short lock, no mailbox); the router and the metrics read atomics only.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

#include "actors/messages.hpp"
#include "actors/ports/clock.hpp"
#include "actors/sliding_window.hpp"
#include "actors/ttfb_estimator.hpp"
#include "config/config.hpp"

namespace switchyard::actors {

/// A provider's circuit, as exported (`switchyard_provider_circuit_state`: 0, 1, 2).
enum class circuit_state : std::uint8_t { closed = 0, open = 1, half_open = 2 };

/// "closed", "open" or "half_open".
const char* to_string(circuit_state s) noexcept;

/// What an attempt's end says about its provider.
enum class health_outcome : std::uint8_t {
  success,  ///< the provider answered (a passed-through client error counts: it is alive)
  failure,  ///< connect error, timeout, reset, 5xx, 408, broken bytes: counts toward ejection
  neutral,  ///< cancelled, lost a race, 429 or a provider-side 401/403/404: says nothing
};

/// Classifies one final attempt event.
health_outcome classify(attempt_failure failure, unsigned upstream_status, bool finished) noexcept;

/// Number of `attempt_failure` values (for per-reason counters).
inline constexpr std::size_t attempt_failure_count =
    static_cast<std::size_t>(attempt_failure::lost_race) + 1;

/// Hedge outcomes, as exported (`outcome` label).
enum class hedge_outcome : std::uint8_t { won, lost, throttled };
inline constexpr std::size_t hedge_outcome_count = 3;
const char* to_string(hedge_outcome o) noexcept;

class provider_health {
 public:
  provider_health() = default;
  provider_health(const provider_health&) = delete;
  provider_health& operator=(const provider_health&) = delete;

  /// Takes the provider's `circuit`, `retry_budget`, `hedge_budget` and `max_cooldown`. Called
  /// once, before any request.
  void configure(const config::provider_config& p);

  // ---- read without a lock (router, metrics, admin) -------------------------------------------

  circuit_state state() const noexcept { return state_.load(std::memory_order_acquire); }

  /// True when a request may be sent now: closed and not cooling down after a Retry-After, or
  /// ejected long enough to be probed and a probe is free.
  bool available(clock::time_point now) const noexcept;

  /// When `available` may next be true: the later of the ejection's and the cooldown's end
  /// (`now`-independent; earlier = less bad).
  clock::time_point available_at() const noexcept;

  /// Estimated p95 time to first byte (see `ttfb_estimator`).
  const ttfb_estimator& ttfb() const noexcept { return ttfb_; }

  // ---- attempts --------------------------------------------------------------------------------

  /// An attempt starts on this provider. True when it is a half-open probe (its outcome decides
  /// the circuit); pass that to `finish_attempt`.
  bool start_attempt(clock::time_point now);

  /// The attempt's end. `ttfb` (zero = unknown) feeds the estimate on success; `retry_after`
  /// (a 429 or 503's, zero = none) starts a cooldown of at most `max_cooldown`.
  void finish_attempt(clock::time_point now, bool probe, health_outcome outcome,
                      std::chrono::microseconds ttfb = {}, std::chrono::seconds retry_after = {});

  /// A request whose attempt failed here wants another attempt (anywhere): allowed while the
  /// re-attempts charged to this provider in the window stay within `percent` of its attempts
  /// there, or below `min_retries`. Charges one when allowed.
  bool try_retry(clock::time_point now);

  /// A hedge wants to go to this provider: takes one token if there is one.
  bool try_hedge();

  // ---- cluster (see docs/architecture.md, "Cluster counters") --------------------------------

  /// Called with the ejection's length each time this node ejects the provider, so that the
  /// other nodes eject it too. It runs under this provider's lock: it must only queue. May be
  /// set (again) at any time.
  void on_eject(std::function<void(clock::duration)> listener);

  /// Another node ejected this provider for `d`: stop sending to it until `now + d` (then probe
  /// it as after an own ejection), unless it is already out for longer. Not broadcast again,
  /// and not counted toward this node's own ejection multiplier.
  void eject_external(clock::time_point now, clock::duration d);

  std::atomic<std::uint64_t> external_ejections_total{0};

  // ---- counters for metrics (monotonic) --------------------------------------------------------

  std::atomic<std::uint64_t> ejections_total{0};
  std::atomic<std::uint64_t> retries_total{0};    ///< same-target retries after a failure here
  std::atomic<std::uint64_t> failovers_total{0};  ///< moves to another target after a failure here
  std::atomic<std::uint64_t> retries_denied_total{0};  ///< re-attempts refused by the budget
  std::array<std::atomic<std::uint64_t>, hedge_outcome_count> hedges_total{};
  std::array<std::atomic<std::uint64_t>, attempt_failure_count> upstream_errors_total{};

  void count_hedge(hedge_outcome o) noexcept {
    hedges_total[static_cast<std::size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  }

 private:
  enum window_counter : std::size_t { outcomes, failures };
  enum budget_counter : std::size_t { attempts, retries };

  static std::int64_t ticks(clock::time_point t) noexcept { return t.time_since_epoch().count(); }
  static clock::time_point at(std::int64_t t) noexcept {
    return clock::time_point{clock::duration{t}};
  }
  void eject_locked(clock::time_point now);
  void close_locked(clock::time_point now);

  config::circuit_config circuit_;
  config::retry_budget_config budget_;
  config::hedge_budget_config hedge_budget_;
  clock::duration max_cooldown_{std::chrono::seconds(30)};

  // Published for lock-free readers; written under `mutex_`.
  std::atomic<circuit_state> state_{circuit_state::closed};
  std::atomic<std::int64_t> open_until_{0};      // clock ticks
  std::atomic<std::int64_t> cooldown_until_{0};  // clock ticks
  std::atomic<std::uint32_t> probes_{0};         // half-open probes in flight

  mutable std::mutex mutex_;
  std::uint32_t consecutive_ = 0;
  std::uint32_t ejections_ = 0;  // the ejection multiplier
  clock::time_point closed_since_{};
  sliding_window<2> outcomes_;
  sliding_window<2> budget_window_;
  double hedge_tokens_ = 0;

  ttfb_estimator ttfb_;
  std::function<void(clock::duration)> on_eject_;
};

}  // namespace switchyard::actors

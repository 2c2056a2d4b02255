// Circuit breaker transitions, Retry-After cooldowns, the retry budget and hedge tokens.
#include "actors/provider_health.hpp"

#include <algorithm>

namespace switchyard::actors {

const char* to_string(circuit_state s) noexcept {
  switch (s) {
    case circuit_state::closed:
      return "closed";
    case circuit_state::open:
      return "open";
    case circuit_state::half_open:
      return "half_open";
  }
  return "unknown";
}

const char* to_string(hedge_outcome o) noexcept {
  switch (o) {
    case hedge_outcome::won:
      return "won";
    case hedge_outcome::lost:
      return "lost";
    case hedge_outcome::throttled:
      return "throttled";
  }
  return "unknown";
}

health_outcome classify(attempt_failure failure, unsigned upstream_status, bool finished) noexcept {
  if (finished) return health_outcome::success;
  switch (failure) {
    case attempt_failure::none:
    case attempt_failure::cancelled:
    case attempt_failure::lost_race:
      return health_outcome::neutral;
    case attempt_failure::upstream_status:
      // 429 is handled by the Retry-After cooldown; 401/403/404/409 are this provider's key or
      // model problems, which ejecting it would not cure.
      return upstream_status >= 500 || upstream_status == 408 ? health_outcome::failure
                                                              : health_outcome::neutral;
    default:
      return health_outcome::failure;
  }
}

void provider_health::configure(const config::provider_config& p) {
  std::lock_guard<std::mutex> g(mutex_);
  circuit_ = p.circuit;
  budget_ = p.retry_budget;
  hedge_budget_ = p.hedge_budget;
  max_cooldown_ = p.max_cooldown;
  outcomes_ = sliding_window<2>{circuit_.window};
  budget_window_ = sliding_window<2>{budget_.window};
  hedge_tokens_ = hedge_budget_.max_tokens;  // a fresh provider may hedge at once
}

bool provider_health::available(clock::time_point now) const noexcept {
  if (ticks(now) < cooldown_until_.load(std::memory_order_acquire)) return false;
  switch (state()) {
    case circuit_state::closed:
      return true;
    case circuit_state::open:
      return ticks(now) >= open_until_.load(std::memory_order_acquire);
    case circuit_state::half_open:
      return probes_.load(std::memory_order_acquire) < circuit_.half_open_probes;
  }
  return true;
}

clock::time_point provider_health::available_at() const noexcept {
  auto t = cooldown_until_.load(std::memory_order_acquire);
  if (state() != circuit_state::closed)
    t = std::max(t, open_until_.load(std::memory_order_acquire));
  return at(t);
}

bool provider_health::start_attempt(clock::time_point now) {
  std::lock_guard<std::mutex> g(mutex_);
  budget_window_.add(now, attempts);
  auto s = state();
  if (s == circuit_state::open && ticks(now) >= open_until_.load()) {
    s = circuit_state::half_open;
    probes_.store(0);
    state_.store(s, std::memory_order_release);
  }
  if (s != circuit_state::half_open || probes_.load() >= circuit_.half_open_probes) return false;
  probes_.fetch_add(1);
  return true;
}

void provider_health::finish_attempt(clock::time_point now, bool probe, health_outcome outcome,
                                     std::chrono::microseconds ttfb,
                                     std::chrono::seconds retry_after) {
  if (outcome == health_outcome::success && ttfb.count() > 0) ttfb_.observe(ttfb);
  std::lock_guard<std::mutex> g(mutex_);
  if (probe && probes_.load() > 0) probes_.fetch_sub(1);
  if (retry_after.count() > 0) {
    const auto until = ticks(now + std::min<clock::duration>(retry_after, max_cooldown_));
    if (until > cooldown_until_.load()) cooldown_until_.store(until, std::memory_order_release);
  }
  if (outcome == health_outcome::neutral) return;
  const auto s = state();
  if (outcome == health_outcome::success) {
    hedge_tokens_ = std::min(hedge_budget_.max_tokens, hedge_tokens_ + hedge_budget_.token_ratio);
    consecutive_ = 0;
    if (s != circuit_state::closed) {
      close_locked(now);
    } else if (ejections_ > 0 && now - closed_since_ >= circuit_.max_ejection) {
      ejections_ = 0;  // healthy for a whole maximum ejection: the next one starts short again
    }
    outcomes_.add(now, outcomes);
    return;
  }
  if (s == circuit_state::half_open) return eject_locked(now);  // a failed probe
  if (s == circuit_state::open) return;  // already out; a forced attempt's failure adds nothing
  ++consecutive_;
  outcomes_.add(now, outcomes);
  outcomes_.add(now, failures);
  if (circuit_.consecutive_failures > 0 && consecutive_ >= circuit_.consecutive_failures)
    return eject_locked(now);
  if (circuit_.error_rate > 0) {
    const auto n = outcomes_.sum(now, outcomes);
    const auto bad = outcomes_.sum(now, failures);
    if (n >= circuit_.min_requests &&
        static_cast<double>(bad) >= circuit_.error_rate * static_cast<double>(n))
      eject_locked(now);
  }
}

void provider_health::eject_locked(clock::time_point now) {
  ++ejections_;
  const auto d =
      std::min<clock::duration>(circuit_.base_ejection * ejections_, circuit_.max_ejection);
  open_until_.store(ticks(now + d), std::memory_order_release);
  probes_.store(0);
  consecutive_ = 0;
  outcomes_.clear();
  state_.store(circuit_state::open, std::memory_order_release);
  ejections_total.fetch_add(1, std::memory_order_relaxed);
  if (on_eject_) on_eject_(d);
}

void provider_health::on_eject(std::function<void(clock::duration)> listener) {
  std::lock_guard<std::mutex> g(mutex_);
  on_eject_ = std::move(listener);
}

void provider_health::eject_external(clock::time_point now, clock::duration d) {
  if (d <= clock::duration::zero()) return;
  std::lock_guard<std::mutex> g(mutex_);
  const auto until = ticks(now + d);
  if (state() == circuit_state::open && open_until_.load() >= until) return;
  // Half-open probes in flight finish as they would after an own ejection: their outcome is
  // neutral to an open circuit.
  open_until_.store(until, std::memory_order_release);
  probes_.store(0);
  consecutive_ = 0;
  outcomes_.clear();
  state_.store(circuit_state::open, std::memory_order_release);
  external_ejections_total.fetch_add(1, std::memory_order_relaxed);
}

void provider_health::close_locked(clock::time_point now) {
  probes_.store(0);
  closed_since_ = now;
  outcomes_.clear();
  state_.store(circuit_state::closed, std::memory_order_release);
}

bool provider_health::try_retry(clock::time_point now) {
  std::lock_guard<std::mutex> g(mutex_);
  const auto done = budget_window_.sum(now, retries);
  const auto share =
      budget_.percent / 100.0 * static_cast<double>(budget_window_.sum(now, attempts));
  if (static_cast<double>(done) >= share && done >= budget_.min_retries) {
    retries_denied_total.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  budget_window_.add(now, retries);
  return true;
}

bool provider_health::try_hedge() {
  std::lock_guard<std::mutex> g(mutex_);
  if (hedge_tokens_ < 1) {
    count_hedge(hedge_outcome::throttled);
    return false;
  }
  hedge_tokens_ -= 1;
  return true;
}

}  // namespace switchyard::actors

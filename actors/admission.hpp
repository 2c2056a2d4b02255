// The lock-free fast path of a provider's admission. The provider actor still owns admission —
// its queue, deadlines and refusals — but a request that finds a free slot and nobody waiting
// takes it with one compare-and-swap instead of a round trip through the actor's mailbox, which
// would cost two scheduler hops on every request's critical path.
#pragma once

#include <atomic>
#include <cstdint>

#include "actors/provider_stats.hpp"

namespace switchyard::actors {

/// Takes a slot if fewer than `limit` are in flight and nobody is queued. Never blocks.
inline bool try_admit_fast(provider_stats& s) noexcept {
  if (s.queued.load() != 0) return false;  // FIFO: waiters go first
  auto n = s.in_flight.load();
  const auto limit = s.limit.load(std::memory_order_relaxed);
  while (n < limit) {
    if (s.in_flight.compare_exchange_weak(n, n + 1)) {
      s.admitted_total.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

/// Takes a slot for the head of the queue (the provider actor only): ignores waiters.
inline bool try_admit_waiter(provider_stats& s) noexcept {
  auto n = s.in_flight.load();
  const auto limit = s.limit.load(std::memory_order_relaxed);
  while (n < limit) {
    if (s.in_flight.compare_exchange_weak(n, n + 1)) {
      s.admitted_total.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

/// Gives a slot back. True when someone is queued, so the provider actor must be told.
/// Sequentially consistent with the actor's enqueue-then-retry, so no wake-up is ever lost: either
/// the actor's retry sees this release, or this load sees the actor's waiter.
inline bool release_slot(provider_stats& s) noexcept {
  s.in_flight.fetch_sub(1);
  return s.queued.load() != 0;
}

}  // namespace switchyard::actors

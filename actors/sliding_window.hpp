// Counts over the last `window` of time in ten buckets, so that old events fall out without a
// timer and without keeping one entry per event. Not thread-safe: its owner locks.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>

#include "actors/ports/clock.hpp"

namespace switchyard::actors {

/// `N` counters over a sliding window. A bucket is reset when time reaches it again, so a sum is
/// over at least `window × 9/10` and at most `window` of the most recent time.
template <std::size_t N>
class sliding_window {
 public:
  static constexpr std::size_t buckets = 10;

  explicit sliding_window(clock::duration window = std::chrono::seconds(10))
      : width_(std::max(window / static_cast<clock::duration::rep>(buckets), clock::duration{1})) {}

  /// Adds `n` to counter `k` at `now`.
  void add(clock::time_point now, std::size_t k, std::uint64_t n = 1) {
    bucket(now).counts[k] += n;
  }

  /// Counter `k` summed over the window ending at `now`.
  std::uint64_t sum(clock::time_point now, std::size_t k) const {
    const auto current = epoch(now);
    std::uint64_t total = 0;
    for (const auto& b : ring_) {
      if (b.epoch + static_cast<std::int64_t>(buckets) > current && b.epoch <= current)
        total += b.counts[k];
    }
    return total;
  }

  /// Forgets everything (e.g. when a circuit closes again).
  void clear() { ring_ = {}; }

 private:
  struct slot {
    std::int64_t epoch = -1;
    std::array<std::uint64_t, N> counts{};
  };

  std::int64_t epoch(clock::time_point now) const { return now.time_since_epoch() / width_; }

  slot& bucket(clock::time_point now) {
    const auto e = epoch(now);
    auto& b = ring_[static_cast<std::size_t>(((e % buckets) + buckets) % buckets)];
    if (b.epoch != e) b = slot{e, {}};
    return b;
  }

  clock::duration width_;
  std::array<slot, buckets> ring_{};
};

}  // namespace switchyard::actors

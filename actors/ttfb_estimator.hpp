// A streaming quantile of time to first byte: a log-bucket histogram whose weights halve every
// `half_life` samples, so the estimate follows a provider whose latency changes. The p95 is
// published in an atomic after each sample: readers (the hedge timer, metrics) never lock.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace switchyard::actors {

class ttfb_estimator {
 public:
  /// Buckets grow by 2^(1/4) (~19%) from 1 ms; the last one holds everything above ~33 min.
  static constexpr std::size_t bucket_count = 88;
  /// Samples needed before `p95` answers: fewer say too little about the tail.
  static constexpr double min_samples = 20;

  explicit ttfb_estimator(double half_life = 500) : half_life_(half_life) {}

  /// One observed time to first byte.
  void observe(std::chrono::microseconds ttfb);

  /// The estimated 95th percentile (the upper bound of its bucket), or nullopt with too few
  /// samples.
  std::optional<std::chrono::microseconds> p95() const noexcept {
    const auto v = p95_us_.load(std::memory_order_relaxed);
    if (v < 0) return std::nullopt;
    return std::chrono::microseconds{v};
  }

  /// The quantile `q` in (0, 1] of the current histogram (tests and `p95`), or nullopt.
  std::optional<std::chrono::microseconds> quantile(double q) const;

  /// Upper bound of bucket `i` in microseconds.
  static std::int64_t upper_bound_us(std::size_t i) noexcept;
  /// The bucket of `us` microseconds.
  static std::size_t bucket_of(std::int64_t us) noexcept;

 private:
  std::optional<std::chrono::microseconds> quantile_locked(double q) const;

  double half_life_;
  mutable std::mutex mutex_;
  std::array<double, bucket_count> weights_{};
  double total_ = 0;
  std::atomic<std::int64_t> p95_us_{-1};
};

}  // namespace switchyard::actors

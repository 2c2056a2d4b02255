// The decaying log-bucket histogram behind hedging's `after: p95`.
#include "actors/ttfb_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::actors {

std::int64_t ttfb_estimator::upper_bound_us(std::size_t i) noexcept {
  return static_cast<std::int64_t>(
      std::llround(1000.0 * std::exp2(static_cast<double>(i + 1) / 4)));
}

std::size_t ttfb_estimator::bucket_of(std::int64_t us) noexcept {
  if (us <= upper_bound_us(0)) return 0;
  auto i = static_cast<std::size_t>(std::ceil(4 * std::log2(static_cast<double>(us) / 1000.0))) - 1;
  // Rounding of the bounds: step to the first bucket whose bound holds `us`.
  while (i > 0 && upper_bound_us(i - 1) >= us) --i;
  while (i + 1 < bucket_count && upper_bound_us(i) < us) ++i;
  return std::min(i, bucket_count - 1);
}

void ttfb_estimator::observe(std::chrono::microseconds ttfb) {
  std::lock_guard<std::mutex> g(mutex_);
  if (total_ + 1 > 2 * half_life_) {
    // Halving keeps between `half_life` and twice as many samples' weight: recent ones count.
    for (auto& w : weights_) w /= 2;
    total_ /= 2;
  }
  weights_[bucket_of(std::max<std::int64_t>(ttfb.count(), 0))] += 1;
  total_ += 1;
  const auto p = quantile_locked(0.95);
  p95_us_.store(p ? p->count() : -1, std::memory_order_relaxed);
}

std::optional<std::chrono::microseconds> ttfb_estimator::quantile(double q) const {
  std::lock_guard<std::mutex> g(mutex_);
  return quantile_locked(q);
}

std::optional<std::chrono::microseconds> ttfb_estimator::quantile_locked(double q) const {
  if (total_ < min_samples) return std::nullopt;
  const double rank = q * total_;
  double seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += weights_[i];
    if (seen >= rank && weights_[i] > 0) return std::chrono::microseconds{upper_bound_us(i)};
  }
  return std::chrono::microseconds{upper_bound_us(bucket_count - 1)};
}

}  // namespace switchyard::actors

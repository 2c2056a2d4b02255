// Log-linear histogram: bucket arithmetic, merge and nearest-rank percentile queries.
#include "bench/loadgen/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::loadgen {

static_assert(histogram::index_of(histogram::saturation - 1) == histogram::bucket_count - 1,
              "the top bucket holds the largest trackable value");

histogram::histogram() : counts_(bucket_count, 0) {}

void histogram::merge(const histogram& other) noexcept {
  if (other.total_ == 0) return;
  for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void histogram::clear() noexcept {
  if (total_ == 0) return;
  std::fill(counts_.begin(), counts_.end(), 0);
  total_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

std::uint64_t histogram::lower_bound_of(std::size_t i) noexcept {
  if (i < 2 * sub_bucket_count) return i;
  const std::uint64_t shift = i / sub_bucket_count - 1;
  const std::uint64_t sub = i - shift * sub_bucket_count;
  return sub << shift;
}

std::uint64_t histogram::width_of(std::size_t i) noexcept {
  if (i < 2 * sub_bucket_count) return 1;
  return std::uint64_t{1} << (i / sub_bucket_count - 1);
}

std::uint64_t histogram::percentile(double p) const noexcept {
  if (total_ == 0) return 0;
  if (!(p > 0)) return min_;
  if (p >= 100) return max_;
  // Nearest rank: the ceil(p% of n)-th smallest value (1-based).
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
  rank = std::clamp<std::uint64_t>(rank, 1, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t mid = lower_bound_of(i) + (width_of(i) - 1) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

}  // namespace switchyard::loadgen

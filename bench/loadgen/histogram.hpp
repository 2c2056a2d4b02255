// A log-linear (HDR-style) latency histogram: exact below 256, then 128 sub-buckets per power of
// two, so every reported value is within 0.4% of the recorded one. Mergeable across threads.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace switchyard::loadgen {

/// Counts non-negative integer values (nanoseconds, in practice) in log-linear buckets.
/// Values below 2^8 get a bucket each; above, each power of two [2^k, 2^(k+1)) is split into
/// 128 equal buckets, so a bucket is never wider than 1/128 of its lower edge. Queries report a
/// bucket's midpoint, which is within 1/256 (< 0.4%) of every value recorded into it.
/// Values at or above `saturation` (2^43 ns, about 2.4 hours) are counted in the top bucket;
/// `min()`/`max()` stay exact.
class histogram {
 public:
  /// log2 of the number of sub-buckets per power of two.
  static constexpr unsigned sub_bucket_bits = 7;
  static constexpr std::uint64_t sub_bucket_count = std::uint64_t{1} << sub_bucket_bits;
  /// Values at or above this share the top bucket.
  static constexpr unsigned max_bits = 43;
  static constexpr std::uint64_t saturation = std::uint64_t{1} << max_bits;
  /// Number of buckets.
  static constexpr std::size_t bucket_count = (max_bits - sub_bucket_bits + 1) * sub_bucket_count;

  histogram();

  /// Records `value` once (negative values count as 0).
  void record(std::int64_t value) noexcept { record_n(value, 1); }

  /// Records `value` `n` times.
  void record_n(std::int64_t value, std::uint64_t n) noexcept {
    const std::uint64_t v = value < 0 ? 0 : static_cast<std::uint64_t>(value);
    counts_[index_of(v)] += n;
    total_ += n;
    sum_ += static_cast<double>(v) * static_cast<double>(n);
    if (v < min_) min_ = v;
    if (v > max_) max_ = v;
  }

  /// Adds every count of `other` (the histograms describe disjoint samples).
  void merge(const histogram& other) noexcept;

  /// Forgets everything.
  void clear() noexcept;

  /// Number of recorded values.
  std::uint64_t count() const noexcept { return total_; }
  bool empty() const noexcept { return total_ == 0; }
  /// Smallest and largest recorded value (exact); 0 when empty.
  std::uint64_t min() const noexcept { return total_ == 0 ? 0 : min_; }
  std::uint64_t max() const noexcept { return max_; }
  /// Arithmetic mean of the recorded values (exact up to double rounding); 0 when empty.
  double mean() const noexcept { return total_ == 0 ? 0 : sum_ / static_cast<double>(total_); }

  /// The value at percentile `p` in [0, 100] by nearest rank: the smallest recorded value such
  /// that at least p% of the values are <= it. p <= 0 gives `min()`, p >= 100 gives `max()`.
  /// The answer is the midpoint of the bucket holding that value, clamped to [min, max].
  /// 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  /// Bucket index of `v`.
  static constexpr std::size_t index_of(std::uint64_t v) noexcept {
    if (v >= saturation) v = saturation - 1;
    if (v < 2 * sub_bucket_count) return static_cast<std::size_t>(v);
    const unsigned shift = static_cast<unsigned>(std::bit_width(v)) - 1 - sub_bucket_bits;
    return static_cast<std::size_t>(shift * sub_bucket_count + (v >> shift));
  }
  /// Smallest value that falls into bucket `i`.
  static std::uint64_t lower_bound_of(std::size_t i) noexcept;
  /// Number of distinct values that fall into bucket `i`.
  static std::uint64_t width_of(std::size_t i) noexcept;

  /// Count held by bucket `i` (for tests and exporters).
  std::uint64_t bucket(std::size_t i) const noexcept { return counts_[i]; }

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace switchyard::loadgen

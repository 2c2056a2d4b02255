// The log-linear histogram: bucket arithmetic, the 1% accuracy bound over a wide range, merging.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/rng.hpp"

using switchyard::loadgen::histogram;
using switchyard::loadgen::rng;

namespace {

// The exact nearest-rank percentile of sorted values (the definition the histogram follows).
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted, double p) {
  if (p <= 0) return sorted.front();
  if (p >= 100) return sorted.back();
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double relative_error(std::uint64_t got, std::uint64_t want) {
  if (want == 0) return got == 0 ? 0 : 1;
  return std::fabs(static_cast<double>(got) - static_cast<double>(want)) /
         static_cast<double>(want);
}

// Log-uniform values from 1 to 10^12 (1 ns to 1000 s): every bucket shape gets exercised.
std::vector<std::uint64_t> log_uniform(std::uint64_t seed, std::size_t n) {
  rng r(seed);
  std::vector<std::uint64_t> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back(static_cast<std::uint64_t>(std::pow(10.0, r.uniform() * 12.0)));
  }
  return v;
}

}  // namespace

TEST_CASE("histogram: buckets tile the value range without gaps") {
  for (std::size_t i = 0; i + 1 < histogram::bucket_count; ++i) {
    INFO("bucket " << i);
    REQUIRE(histogram::lower_bound_of(i + 1) ==
            histogram::lower_bound_of(i) + histogram::width_of(i));
  }
  CHECK(histogram::lower_bound_of(histogram::bucket_count - 1) +
            histogram::width_of(histogram::bucket_count - 1) ==
        histogram::saturation);
}

TEST_CASE("histogram: every value lands in the bucket that covers it, no wider than 1/128") {
  rng r(7);
  std::vector<std::uint64_t> values;
  for (std::uint64_t v = 0; v < 5000; ++v) values.push_back(v);
  for (unsigned bit = 8; bit < histogram::max_bits; ++bit) {
    const std::uint64_t p = std::uint64_t{1} << bit;
    values.insert(values.end(), {p - 1, p, p + 1, p + p / 2});
  }
  for (int i = 0; i < 100000; ++i) values.push_back(r.next() % histogram::saturation);
  for (std::uint64_t v : values) {
    const auto i = histogram::index_of(v);
    INFO("value " << v << " bucket " << i);
    REQUIRE(i < histogram::bucket_count);
    const auto lo = histogram::lower_bound_of(i);
    const auto w = histogram::width_of(i);
    REQUIRE(lo <= v);
    REQUIRE(v < lo + w);
    if (v >= 256) REQUIRE(static_cast<double>(w) / static_cast<double>(lo) <= 1.0 / 128);
    if (v < 256) REQUIRE(w == 1);
  }
}

TEST_CASE("histogram: values below 256 are exact") {
  histogram h;
  std::vector<std::uint64_t> v;
  for (std::uint64_t i = 0; i < 256; ++i) {
    h.record(static_cast<std::int64_t>(i));
    v.push_back(i);
  }
  for (double p : {0.0, 1.0, 10.0, 33.3, 50.0, 90.0, 99.0, 100.0}) {
    CHECK(h.percentile(p) == exact_percentile(v, p));
  }
}

TEST_CASE("histogram: percentiles are within 1% from 1 ns to 1000 s") {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    auto values = log_uniform(seed, 200000);
    histogram h;
    for (auto v : values) h.record(static_cast<std::int64_t>(v));
    std::sort(values.begin(), values.end());
    REQUIRE(h.count() == values.size());
    CHECK(h.min() == values.front());
    CHECK(h.max() == values.back());
    for (double p = 0.5; p < 100; p += 0.5) {
      const auto got = h.percentile(p);
      const auto want = exact_percentile(values, p);
      INFO("seed " << seed << " p" << p << " got " << got << " want " << want);
      REQUIRE(relative_error(got, want) <= 0.01);
    }
    for (double p : {99.9, 99.99, 99.999}) {
      REQUIRE(relative_error(h.percentile(p), exact_percentile(values, p)) <= 0.01);
    }
  }
}

TEST_CASE("histogram: the error bound holds for each single-bucket worst case") {
  // Two values at the opposite edges of one wide bucket: the reported midpoint is within 1%
  // of either.
  for (unsigned bit = 9; bit < histogram::max_bits; bit += 3) {
    const std::uint64_t lo = std::uint64_t{1} << bit;
    const auto i = histogram::index_of(lo);
    const std::uint64_t hi = lo + histogram::width_of(i) - 1;
    REQUIRE(histogram::index_of(hi) == i);
    histogram h;
    h.record(static_cast<std::int64_t>(lo));
    h.record(static_cast<std::int64_t>(hi));
    h.record(static_cast<std::int64_t>(lo));
    // p50 is lo (rank 2 of {lo, lo, hi}), reported as the bucket midpoint.
    CHECK(relative_error(h.percentile(50), lo) <= 0.01);
    CHECK(relative_error(h.percentile(50), hi) <= 0.01);
  }
}

TEST_CASE("histogram: mean, min and max are exact") {
  histogram h;
  h.record(1000);
  h.record(3000);
  h.record_n(2000, 2);
  CHECK(h.count() == 4);
  CHECK(h.min() == 1000);
  CHECK(h.max() == 3000);
  CHECK(h.mean() == Approx(2000.0));
  CHECK(h.percentile(0) == 1000);
  CHECK(h.percentile(100) == 3000);
}

TEST_CASE("histogram: empty, negative and saturated values") {
  histogram h;
  CHECK(h.empty());
  CHECK(h.count() == 0);
  CHECK(h.percentile(50) == 0);
  CHECK(h.min() == 0);
  CHECK(h.max() == 0);
  CHECK(h.mean() == 0);

  h.record(-5);
  CHECK(h.min() == 0);
  CHECK(h.percentile(50) == 0);

  const auto huge = static_cast<std::int64_t>(histogram::saturation * 4);
  h.record(huge);
  CHECK(h.count() == 2);
  CHECK(h.max() == static_cast<std::uint64_t>(huge));
  CHECK(h.bucket(histogram::bucket_count - 1) == 1);
  CHECK(h.percentile(100) == static_cast<std::uint64_t>(huge));
  // The top bucket's midpoint, not the (exact) maximum: saturated values are only bounded below.
  CHECK(h.percentile(99) >= histogram::saturation / 2);

  h.clear();
  CHECK(h.empty());
  CHECK(h.max() == 0);
}

TEST_CASE("histogram: merging equals recording everything into one") {
  const auto a_values = log_uniform(11, 50000);
  const auto b_values = log_uniform(12, 30000);
  histogram a;
  histogram b;
  histogram all;
  for (auto v : a_values) {
    a.record(static_cast<std::int64_t>(v));
    all.record(static_cast<std::int64_t>(v));
  }
  for (auto v : b_values) {
    b.record(static_cast<std::int64_t>(v));
    all.record(static_cast<std::int64_t>(v));
  }
  histogram merged;
  merged.merge(a);
  merged.merge(b);
  merged.merge(histogram{});  // merging nothing changes nothing
  REQUIRE(merged.count() == all.count());
  CHECK(merged.min() == all.min());
  CHECK(merged.max() == all.max());
  CHECK(merged.mean() == Approx(all.mean()).epsilon(1e-12));
  for (std::size_t i = 0; i < histogram::bucket_count; ++i) {
    REQUIRE(merged.bucket(i) == all.bucket(i));
  }
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9}) CHECK(merged.percentile(p) == all.percentile(p));

  // And merging into a histogram whose minimum is larger takes the other's minimum.
  histogram high;
  high.record(1'000'000);
  histogram low;
  low.record(5);
  high.merge(low);
  CHECK(high.min() == 5);
  CHECK(high.max() == 1'000'000);
}

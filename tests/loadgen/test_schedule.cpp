// Arrival schedules (constant gaps are exact and never drift; Poisson has the right rate and
// shape for a fixed seed) and the weighted request mix.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bench/loadgen/schedule.hpp"

using namespace switchyard::loadgen;

TEST_CASE("schedule: constant arrivals are exactly 1/rate apart") {
  const auto t = build_schedule(arrival_kind::constant, 1000, 0, 1, 10000);
  REQUIRE(t.size() == 10000);
  CHECK(t[0] == 0);
  for (std::size_t i = 1; i < t.size(); ++i) REQUIRE(t[i] - t[i - 1] == 1'000'000);
}

TEST_CASE("schedule: constant arrivals at an inexact rate do not drift") {
  // 1e9/3 ns is not an integer; summing rounded gaps would drift, computing from the index
  // keeps every time within half a nanosecond of k/rate.
  const auto t = build_schedule(arrival_kind::constant, 3, 0, 1, 3001);
  for (std::size_t k = 0; k < t.size(); ++k) {
    const double exact = static_cast<double>(k) * 1e9 / 3;
    REQUIRE(std::fabs(static_cast<double>(t[k]) - exact) <= 0.5);
  }
  CHECK(t[3000] == 1'000'000'000'000);
  for (std::size_t i = 1; i < t.size(); ++i) {
    const auto gap = t[i] - t[i - 1];
    REQUIRE((gap == 333'333'333 || gap == 333'333'334));
  }
}

TEST_CASE("schedule: constant schedules of several workers interleave into the total rate") {
  // Two workers at 500/s each, the second offset by 1/1000 s: together exactly 1000/s.
  arrival_schedule a(arrival_kind::constant, 500, 0, 1, 0);
  arrival_schedule b(arrival_kind::constant, 500, 1'000'000, 1, 2);
  std::vector<std::int64_t> all;
  for (int i = 0; i < 1000; ++i) {
    all.push_back(a.next());
    all.push_back(b.next());
  }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 1; i < all.size(); ++i) REQUIRE(all[i] - all[i - 1] == 1'000'000);
}

TEST_CASE("schedule: Poisson arrivals have the target mean rate and exponential gaps") {
  const double rate = 2000;
  const std::size_t n = 200000;
  const auto t = build_schedule(arrival_kind::poisson, rate, 0, 42, n);
  std::vector<double> gaps;
  gaps.push_back(static_cast<double>(t[0]));
  for (std::size_t i = 1; i < n; ++i) {
    REQUIRE(t[i] >= t[i - 1]);
    gaps.push_back(static_cast<double>(t[i] - t[i - 1]));
  }
  double sum = 0;
  for (double g : gaps) sum += g;
  const double mean = sum / static_cast<double>(n);
  const double want = 1e9 / rate;
  // The standard error of the mean of 200k exponential gaps is 0.22%; allow 1%.
  CHECK(std::fabs(mean - want) / want < 0.01);
  double var = 0;
  for (double g : gaps) var += (g - mean) * (g - mean);
  const double sd = std::sqrt(var / static_cast<double>(n - 1));
  // An exponential distribution's standard deviation equals its mean.
  CHECK(std::fabs(sd / mean - 1) < 0.02);
  // Its median is ln(2) times the mean.
  std::sort(gaps.begin(), gaps.end());
  const double median = gaps[n / 2];
  CHECK(std::fabs(median / (want * std::log(2.0)) - 1) < 0.02);
  // The achieved rate over the whole schedule.
  const double achieved = static_cast<double>(n) / (static_cast<double>(t.back()) / 1e9);
  CHECK(std::fabs(achieved / rate - 1) < 0.01);
}

TEST_CASE("schedule: Poisson schedules are fixed by the seed") {
  const auto a = build_schedule(arrival_kind::poisson, 100, 0, 7, 1000);
  const auto b = build_schedule(arrival_kind::poisson, 100, 0, 7, 1000);
  const auto c = build_schedule(arrival_kind::poisson, 100, 0, 8, 1000);
  CHECK(a == b);
  CHECK(a != c);
  const auto shifted = build_schedule(arrival_kind::poisson, 100, 5'000, 7, 1000);
  for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(shifted[i] == a[i] + 5'000);
}

TEST_CASE("schedule: weighted choice follows the cumulative weights") {
  weighted_choice w({3, 1});
  CHECK(w.size() == 2);
  CHECK(w.pick(0.0) == 0);
  CHECK(w.pick(0.7499) == 0);
  CHECK(w.pick(0.75) == 1);
  CHECK(w.pick(0.9999999) == 1);
  weighted_choice one({5});
  CHECK(one.pick(0.99) == 0);
}

TEST_CASE("schedule: the request mix draws models, sizes and streams by their weights") {
  request_mix mix({3, 1}, {1, 1, 2}, 0.3);
  CHECK(mix.shape_count() == 2 * 3 * 2);
  rng r(99);
  const int n = 200000;
  std::vector<int> models(2), prompts(3);
  int streams = 0;
  std::vector<int> seen(mix.shape_count());
  for (int i = 0; i < n; ++i) {
    const auto p = mix.pick(r);
    ++models[p.model];
    ++prompts[p.prompt];
    streams += p.stream ? 1 : 0;
    const auto idx = mix.index_of(p);
    REQUIRE(idx < mix.shape_count());
    ++seen[idx];
    const auto back = mix.shape_at(idx);
    REQUIRE(back.model == p.model);
    REQUIRE(back.prompt == p.prompt);
    REQUIRE(back.stream == p.stream);
  }
  CHECK(models[0] / double(n) == Approx(0.75).margin(0.01));
  CHECK(prompts[0] / double(n) == Approx(0.25).margin(0.01));
  CHECK(prompts[2] / double(n) == Approx(0.5).margin(0.01));
  CHECK(streams / double(n) == Approx(0.3).margin(0.01));
  for (int s : seen) CHECK(s > 0);  // every shape index is reachable
}

TEST_CASE("schedule: a stream share of 0 or 1 is absolute") {
  rng r(1);
  request_mix never({1}, {1}, 0);
  request_mix always({1}, {1}, 1);
  for (int i = 0; i < 10000; ++i) {
    REQUIRE_FALSE(never.pick(r).stream);
    REQUIRE(always.pick(r).stream);
  }
}

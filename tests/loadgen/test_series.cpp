// The per-second series: a second is final only once every worker has moved past it; empty
// seconds are filled in; warm-up seconds are marked; lag marks a second as behind.
#include <catch2/catch.hpp>

#include "bench/loadgen/stats.hpp"

using namespace switchyard::loadgen;

namespace {

second_bucket bucket(std::int64_t s, std::uint64_t sent, std::uint64_t completed,
                     std::int64_t latency_ns) {
  second_bucket b;
  b.reset(s);
  b.sent = sent;
  b.completed = completed;
  for (std::uint64_t i = 0; i < completed; ++i) b.latency.record(latency_ns);
  return b;
}

}  // namespace

TEST_CASE("series: rows become final when every worker has moved past them") {
  series_collector c(2, 1.0);
  c.submit(0, bucket(0, 10, 9, 1'000'000), 1);
  CHECK(c.rows().empty());  // worker 1 has not reported second 0 yet
  CHECK_FALSE(c.latest());
  c.submit(1, bucket(0, 5, 5, 3'000'000), 3);  // worker 1 skipped (was idle in) seconds 1, 2
  auto rows = c.rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].second == 0);
  CHECK(rows[0].warmup);
  CHECK(rows[0].sent == 15);
  CHECK(rows[0].completed == 14);
  REQUIRE(rows[0].p50);
  CHECK(*rows[0].p50 == Approx(1'000'000).epsilon(0.01));
  CHECK(*rows[0].p99 == Approx(3'000'000).epsilon(0.01));
  CHECK_FALSE(rows[0].lag_p50);
  CHECK_FALSE(rows[0].ttft_p50);

  c.submit(0, bucket(2, 4, 4, 2'000'000), 3);
  rows = c.rows();
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].second == 1);  // nobody did anything in second 1: an empty row
  CHECK(rows[1].sent == 0);
  CHECK_FALSE(rows[1].p50);
  CHECK_FALSE(rows[1].warmup);
  CHECK(rows[2].sent == 4);
  CHECK(c.latest()->second == 2);
}

TEST_CASE("series: finishing flushes the remaining seconds") {
  series_collector c(2, 0);
  c.submit(0, bucket(0, 1, 1, 10), 1);
  c.submit(0, bucket(4, 2, 2, 10), 5);
  c.finish(0);
  CHECK(c.rows().empty());
  c.submit(1, bucket(1, 3, 3, 10), 2);
  c.finish(1);
  const auto rows = c.rows();
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].sent == 1);
  CHECK(rows[1].sent == 3);
  CHECK(rows[4].sent == 2);
}

TEST_CASE("series: a late bucket for a finalised second is dropped, not double counted") {
  series_collector c(1, 0);
  c.submit(0, bucket(0, 1, 1, 10), 2);
  c.submit(0, bucket(0, 7, 7, 10), 2);
  c.finish(0);
  const auto rows = c.rows();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].sent == 1);
}

TEST_CASE("series: lag past the limits marks a second as behind") {
  series_collector c(1, 0);
  second_bucket fine;
  fine.reset(0);
  for (int i = 0; i < 100; ++i) fine.lag.record(50'000);
  c.submit(0, fine, 1);
  second_bucket slow_median;
  slow_median.reset(1);
  for (int i = 0; i < 100; ++i) slow_median.lag.record(2'000'000);
  c.submit(0, slow_median, 2);
  second_bucket one_stall;
  one_stall.reset(2);
  for (int i = 0; i < 100; ++i) one_stall.lag.record(10'000);
  one_stall.lag.record(150'000'000);
  c.submit(0, one_stall, 3);
  const auto rows = c.rows();
  REQUIRE(rows.size() == 3);
  CHECK_FALSE(rows[0].behind);
  CHECK(rows[1].behind);
  CHECK(rows[2].behind);
  CHECK(*rows[2].lag_max == 150'000'000);
}

TEST_CASE("run stats: merging workers and judging the generator") {
  run_stats a;
  run_stats b;
  a.scheduled = 10;
  a.completed = 8;
  a.ok = 7;
  a.status[200] = 7;
  a.status[503] = 1;
  a.add_error(error_kind::timeout, "first timeout");
  b.scheduled = 5;
  b.completed = 5;
  b.ok = 5;
  b.status[200] = 5;
  b.add_error(error_kind::timeout, "second timeout");
  b.add_error(error_kind::reset, "reset by peer");
  b.max_queue_depth = 9;
  for (int i = 0; i < 10; ++i) a.lag.record(100'000);
  a.merge(b);
  CHECK(a.scheduled == 15);
  CHECK(a.completed == 13);
  CHECK(a.non_2xx() == 1);
  CHECK(a.status_class(2) == 12);
  CHECK(a.status_class(5) == 1);
  CHECK(a.failed == 3);
  CHECK(a.errors[static_cast<std::size_t>(error_kind::timeout)] == 2);
  CHECK(a.error_examples[static_cast<std::size_t>(error_kind::timeout)] == "first timeout");
  CHECK(a.error_examples[static_cast<std::size_t>(error_kind::reset)] == "reset by peer");
  CHECK(a.max_queue_depth == 9);
  CHECK_FALSE(a.fell_behind());
  a.lag.record(101'000'000);  // one stall past 100 ms
  CHECK(a.fell_behind());

  run_stats c;
  CHECK_FALSE(c.fell_behind());  // closed loop: no lag at all
  for (int i = 0; i < 10; ++i) c.lag.record(1'500'000);
  CHECK(c.fell_behind());  // median past 1 ms
}

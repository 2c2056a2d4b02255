// The sliding rate window on a manual monotonic clock: no 60 s interval of a simulated load with
// bursts on every side of a minute boundary holds more than the limit, buckets refill as they
// leave, waits name the moment enough old buckets have left, and corrections reach only a bucket
// still in the window.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "actors/rate_window.hpp"

using namespace switchyard::actors;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

clock::time_point at(milliseconds t) {
  return clock::time_point{std::chrono::duration_cast<clock::duration>(t)};
}

// Admits one unit at a time while it fits; returns how many were admitted.
int offer(rate_window& w, std::uint64_t limit, milliseconds t, int n,
          std::vector<milliseconds>& admitted) {
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    if (*w.wait_for(1, limit, at(t)) != clock::duration::zero()) break;
    w.add(at(t), 1);
    admitted.push_back(t);
    ++ok;
  }
  return ok;
}

long count_in(const std::vector<milliseconds>& admitted, milliseconds from, milliseconds to) {
  return std::count_if(admitted.begin(), admitted.end(),
                       [&](milliseconds t) { return t >= from && t < to; });
}

}  // namespace

TEST_CASE("rate window: buckets are whole seconds of the monotonic clock") {
  CHECK(rate_window::bucket_of(at(milliseconds(0))) == 0);
  CHECK(rate_window::bucket_of(at(milliseconds(999))) == 0);
  CHECK(rate_window::bucket_of(at(milliseconds(1000))) == 1);
  CHECK(rate_window::bucket_of(at(milliseconds(-1))) == -1);
  CHECK(rate_window::leaves_at(0) == at(seconds(60)));
  CHECK(rate_window::leaves_at(7) == at(seconds(67)));
}

TEST_CASE("rate window: bursts on both sides of a minute boundary never pass the limit") {
  constexpr std::uint64_t limit = 100;
  rate_window w;
  std::vector<milliseconds> admitted;
  // What a fixed window starting at 0 would admit twice: a burst just before 60 s and one just
  // after.
  CHECK(offer(w, limit, milliseconds(500), 30, admitted) == 30);
  CHECK(offer(w, limit, milliseconds(59'900), 100, admitted) == 70);
  // At 60 s the bucket of second 0 leaves: its 30 come back, and only those.
  CHECK(offer(w, limit, milliseconds(60'000), 100, admitted) == 30);
  CHECK(offer(w, limit, milliseconds(60'900), 100, admitted) == 0);
  // Second 59's 70 leave at 119 s, second 60's 30 at 120 s.
  CHECK(offer(w, limit, milliseconds(118'999), 100, admitted) == 0);
  CHECK(offer(w, limit, milliseconds(119'000), 100, admitted) == 70);
  CHECK(offer(w, limit, milliseconds(119'999), 100, admitted) == 0);
  CHECK(offer(w, limit, milliseconds(120'000), 100, admitted) == 30);
  // Then three minutes of uneven load every 100 ms, about twice the limit per second, with a quiet
  // second in seven.
  auto quiet = [](long second) { return second % 7 == 3; };
  std::uint32_t lcg = 12345;
  for (int tick = 1201; tick < 3000; ++tick) {
    lcg = lcg * 1664525u + 1013904223u;
    const int n = quiet(tick / 10) ? 0 : static_cast<int>((lcg >> 16) % 40);
    offer(w, limit, milliseconds(tick * 100), n, admitted);
  }
  const auto end = milliseconds(300'000);
  // Arrivals are on 100 ms ticks, so intervals starting on a tick cover every distinct case.
  for (auto from = milliseconds(0); from + seconds(60) <= end; from += milliseconds(100)) {
    const auto to = from + milliseconds(seconds(60));
    const auto n = count_in(admitted, from, to);
    const auto next_second = milliseconds((from.count() + 999) / 1000 * 1000);
    INFO("interval starting at " << from.count() << " ms holds " << n);
    if (from == next_second) {
      CHECK(n <= static_cast<long>(limit));
    } else {
      // An interval cutting a second holds at most the limit plus that second's share.
      CHECK(n - count_in(admitted, from, next_second) <= static_cast<long>(limit));
    }
  }
  // Demand refills the window as fast as it empties: a minute that starts on a second and ends
  // in a busy second admits the limit exactly (its last second took what had left).
  int full_minutes = 0;
  for (long s = 121; s + 60 <= 300; ++s) {
    if (quiet(s + 59)) continue;
    CHECK(count_in(admitted, seconds(s), seconds(s + 60)) == static_cast<long>(limit));
    ++full_minutes;
  }
  CHECK(full_minutes > 80);
}

TEST_CASE("rate window: a full window refills one bucket at a time") {
  constexpr std::uint64_t limit = 60;
  rate_window w;
  for (int s = 0; s < 60; ++s) w.add(at(seconds(s)), 1);
  CHECK(w.used(at(milliseconds(59'500))) == 60);
  CHECK(*w.wait_for(1, limit, at(milliseconds(59'500))) == milliseconds(500));
  CHECK(w.used(at(seconds(60))) == 59);
  CHECK(*w.wait_for(1, limit, at(seconds(60))) == clock::duration::zero());
  w.add(at(seconds(60)), 1);
  CHECK(*w.wait_for(1, limit, at(seconds(60))) == seconds(1));
  CHECK(w.used(at(seconds(119))) == 1);
  CHECK(w.used(at(seconds(120))) == 0);
}

TEST_CASE("rate window: the wait is until enough old buckets have left for the request") {
  constexpr std::uint64_t limit = 1000;
  rate_window w;
  w.add(at(seconds(0)), 400);
  w.add(at(seconds(10)), 300);
  w.add(at(milliseconds(20'500)), 300);
  const auto now = at(seconds(30));
  CHECK(*w.wait_for(0, limit, now) == clock::duration::zero());
  CHECK(*w.wait_for(400, limit, now) == seconds(30));   // bucket 0 leaves at 60 s
  CHECK(*w.wait_for(500, limit, now) == seconds(40));   // and bucket 10 at 70 s
  CHECK(*w.wait_for(1000, limit, now) == seconds(50));  // everything, bucket 20 last
  CHECK_FALSE(w.wait_for(1001, limit, now));            // never fits
  // A lower limit than what the window holds (changed while it ran) waits longer, never 0.
  CHECK(*w.wait_for(1, 500, now) == seconds(40));
  CHECK(*w.wait_for(1, 500, at(milliseconds(69'999))) == milliseconds(1));
}

TEST_CASE("rate window: remaining and the time until the window is empty") {
  rate_window w;
  auto s = w.state(10, at(seconds(5)));
  CHECK(s.limit == 10);
  CHECK(s.remaining == 10);
  CHECK(s.reset_in == milliseconds(0));
  w.add(at(seconds(5)), 4);
  w.add(at(milliseconds(12'250)), 8);
  s = w.state(10, at(seconds(20)));
  CHECK(s.remaining == 0);                    // 12 held, never below 0
  CHECK(s.reset_in == milliseconds(52'000));  // the newest bucket, 12, leaves at 72 s
  s = w.state(10, at(seconds(65)));
  CHECK(s.remaining == 2);
  CHECK(s.reset_in == milliseconds(7'000));
}

TEST_CASE("rate window: a correction reaches its bucket only while it is in the window") {
  rate_window w;
  const auto b = w.add(at(milliseconds(3'400)), 500);
  CHECK(b == 3);
  CHECK(w.correct(b, 250, at(seconds(10))));
  CHECK(w.used(at(seconds(10))) == 750);
  CHECK(w.correct(b, -700, at(seconds(10))));
  CHECK(w.used(at(seconds(10))) == 50);
  CHECK(w.correct(b, -100, at(seconds(10))));  // never below 0
  CHECK(w.used(at(seconds(10))) == 0);
  // Once the bucket has left, nothing is corrected, and the slot's new bucket is untouched.
  const auto later = w.add(at(seconds(63)), 20);
  CHECK(later == 63);
  CHECK_FALSE(w.correct(b, 1000, at(seconds(63))));
  CHECK(w.used(at(seconds(63))) == 20);
}

TEST_CASE("rate window: a slot left from an earlier minute counts for nothing") {
  rate_window w;
  w.add(at(seconds(1)), 5);
  w.add(at(seconds(61)), 2);  // the same slot of the ring
  CHECK(w.used(at(seconds(61))) == 2);
  CHECK(w.used(at(seconds(200))) == 0);
}

TEST_CASE("rate window: the kept sum always equals the buckets of the last minute") {
  // A reference model: every charge and correction as (bucket, amount), summed by brute force.
  struct entry {
    std::int64_t bucket;
    std::int64_t amount;
  };
  std::vector<entry> log;
  auto reference = [&](std::int64_t current) {
    std::int64_t total = 0;
    for (const auto& e : log)
      if (e.bucket <= current && e.bucket > current - 60) total += e.amount;
    return static_cast<std::uint64_t>(total);
  };
  rate_window w;
  std::uint32_t lcg = 7;
  auto next = [&](std::uint32_t n) {
    lcg = lcg * 1664525u + 1013904223u;
    return (lcg >> 8) % n;
  };
  milliseconds t{0};
  std::vector<std::pair<std::int64_t, std::uint64_t>> charged;  // bucket, amount
  for (int i = 0; i < 20000; ++i) {
    // Mostly small steps, sometimes a gap of seconds or of more than a minute.
    const auto r = next(1000);
    t += milliseconds(r < 900 ? next(50) : r < 995 ? next(5000) : 61'000 + next(30'000));
    // Now and then a charge stamped a moment earlier (read before its owner's lock).
    const auto stamp = next(10) == 0 && t > milliseconds(300) ? t - milliseconds(next(300)) : t;
    const auto n = next(20);
    const auto before = w.used(at(stamp));
    const auto b = w.add(at(stamp), n);
    if (w.used(at(stamp)) != before) log.push_back({b, static_cast<std::int64_t>(n)});
    charged.emplace_back(b, n);
    if (next(4) == 0 && !charged.empty()) {
      // Settle an earlier charge at its real count; the model follows only if it applied.
      const auto& [cb, amount] = charged[next(static_cast<std::uint32_t>(charged.size()))];
      const auto real = static_cast<std::int64_t>(next(40));
      const auto held = w.used(at(t));
      if (w.correct(cb, real - static_cast<std::int64_t>(amount), at(t)))
        log.push_back(
            {cb, static_cast<std::int64_t>(w.used(at(t))) - static_cast<std::int64_t>(held)});
    }
    const auto current = rate_window::bucket_of(at(t));
    REQUIRE(w.used(at(t)) == reference(current));
    // A read a moment in the past (a thread that read the clock before another charged) sees
    // that second's window, less a bucket the ring has since reused: never more.
    REQUIRE(w.used(at(t - milliseconds(1500))) <=
            reference(rate_window::bucket_of(at(t - milliseconds(1500)))));
  }
}

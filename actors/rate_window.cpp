// Sliding rate windows (see rate_window.hpp). A slot carries the bucket it counts for, so a slot
// left over from an earlier minute is recognised as stale without a timer clearing it; the sum is
// kept as buckets are charged and leave, so the checks of a busy second read one number.
#include "actors/rate_window.hpp"

#include <algorithm>

namespace switchyard::actors {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const auto q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::int64_t rate_window::bucket_of(clock::time_point now) noexcept {
  const auto width = std::chrono::duration_cast<clock::duration>(bucket_width).count();
  return floor_div(now.time_since_epoch().count(), width);
}

clock::time_point rate_window::leaves_at(std::int64_t b) noexcept {
  return clock::time_point{std::chrono::duration_cast<clock::duration>(
      bucket_width * (b + static_cast<std::int64_t>(bucket_count)))};
}

std::size_t rate_window::index_of(std::int64_t b) noexcept {
  const auto n = static_cast<std::int64_t>(bucket_count);
  return static_cast<std::size_t>(((b % n) + n) % n);
}

std::uint64_t rate_window::scan(std::int64_t current) const noexcept {
  std::uint64_t total = 0;
  for (const auto& s : ring_)
    if (in_window(s.bucket, current)) total += s.count;
  return total;
}

std::uint64_t rate_window::sum(std::int64_t current) const noexcept {
  return current == head_ ? total_ : scan(current);
}

std::uint64_t rate_window::used(clock::time_point now) const noexcept {
  return sum(bucket_of(now));
}

void rate_window::advance(std::int64_t current) noexcept {
  if (current <= head_) return;
  if (head_ == std::numeric_limits<std::int64_t>::min() ||
      current - head_ >= static_cast<std::int64_t>(bucket_count)) {
    total_ = 0;  // everything counted has left
  } else {
    // Bucket `b`'s slot holds `b - 60` until `b` is charged: the one leaving as `b` arrives.
    for (auto b = head_ + 1; b <= current; ++b) {
      const auto& s = ring_[index_of(b)];
      if (in_window(s.bucket, head_)) total_ -= s.count;
    }
  }
  head_ = current;
}

std::int64_t rate_window::add(clock::time_point now, std::uint64_t n) noexcept {
  const auto b = bucket_of(now);
  advance(b);
  // `now` may be a moment older than the newest charge (read before its owner's lock): it still
  // counts, in its own bucket, unless that has left the window already.
  if (!in_window(b, head_)) return b;
  auto& s = ring_[index_of(b)];
  if (s.bucket != b) s = slot{b, 0};  // stale: not in `total_`
  s.count += n;
  total_ += n;
  return b;
}

bool rate_window::correct(std::int64_t b, std::int64_t delta, clock::time_point now) noexcept {
  auto& s = ring_[index_of(b)];
  if (s.bucket != b || !in_window(b, bucket_of(now))) return false;
  const std::uint64_t before = s.count;
  if (delta >= 0) {
    s.count += static_cast<std::uint64_t>(delta);
  } else {
    const auto back = static_cast<std::uint64_t>(-(delta + 1)) + 1;  // |delta|, even for INT64_MIN
    s.count -= std::min(s.count, back);
  }
  if (in_window(b, head_)) total_ = total_ - before + s.count;
  return true;
}

std::optional<clock::duration> rate_window::wait_for(std::uint64_t n, std::uint64_t limit,
                                                     clock::time_point now) const noexcept {
  if (n > limit) return std::nullopt;
  const auto current = bucket_of(now);
  const auto total = sum(current);
  if (total + n <= limit) return clock::duration::zero();
  // Oldest first: the wait ends when the buckets that have left by then make room for `n`.
  std::uint64_t left = 0;
  for (auto b = current - static_cast<std::int64_t>(bucket_count) + 1; b <= current; ++b) {
    const auto& s = ring_[index_of(b)];
    if (s.bucket != b || s.count == 0) continue;
    left += s.count;
    if (total - left + n <= limit) return leaves_at(b) - now;
  }
  return leaves_at(current) - now;  // unreachable: once every bucket has left, `n` fits
}

rate_state rate_window::state(std::uint64_t limit, clock::time_point now) const noexcept {
  rate_state st;
  st.limit = limit;
  const auto current = bucket_of(now);
  const auto total = sum(current);
  st.remaining = total >= limit ? 0 : limit - total;
  for (auto b = current; b > current - static_cast<std::int64_t>(bucket_count); --b) {
    const auto& s = ring_[index_of(b)];
    if (s.bucket != b || s.count == 0) continue;
    st.reset_in = std::chrono::ceil<std::chrono::milliseconds>(leaves_at(b) - now);
    break;
  }
  return st;
}

}  // namespace switchyard::actors

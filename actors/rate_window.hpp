// One rpm or tpm limit's sliding window: sixty one-second buckets on the monotonic clock, so that
// what was admitted in the last minute is known to the second and no client can take twice its
// limit across a window boundary (as fixed one-minute windows allow). Not thread-safe: its owner
// (a limit_account) locks.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>

#include "actors/ports/clock.hpp"

namespace switchyard::actors {

/// A rate window's figures at one moment.
struct rate_state {
  std::uint64_t limit = 0;
  std::uint64_t remaining = 0;  ///< limit less what the last 60 s hold, never below 0
  /// Until everything the window holds has left it (OpenAI's "resets to its initial state");
  /// zero when it holds nothing.
  std::chrono::milliseconds reset_in{0};
};

/// Counts over the last minute in one-second buckets. Bucket `b` holds what was admitted during
/// second `b` of the monotonic clock and stays in the window for seconds `b .. b + 59`: a check
/// at any moment of second `c` sums buckets `c - 59 .. c`. So every 60 s interval that starts on
/// a second holds at most the limit, and any other 60 s interval at most the limit plus one
/// bucket (the one it cuts at its start).
///
/// A shared (cluster) mode keys its own per-bucket counters by `bucket_of(now)`; the ring itself
/// stays private.
class rate_window {
 public:
  static constexpr std::size_t bucket_count = 60;
  static constexpr std::chrono::seconds bucket_width{1};
  static constexpr std::chrono::seconds span{bucket_width * bucket_count};

  /// The bucket `now` falls in: whole seconds of the monotonic clock.
  static std::int64_t bucket_of(clock::time_point now) noexcept;
  /// When bucket `b` leaves the window.
  static clock::time_point leaves_at(std::int64_t b) noexcept;

  /// What the window holds at `now`. At a second older than the newest charge (a thread that read
  /// the clock just before another charged) it may miss a bucket the ring has reused since: it
  /// never counts more than was charged.
  std::uint64_t used(clock::time_point now) const noexcept;

  /// Charges `n` to the bucket of `now`; returns that bucket, for `correct`.
  std::int64_t add(clock::time_point now, std::uint64_t n) noexcept;

  /// Adds `delta` (which may be negative; the bucket never goes below 0) to bucket `b`, if `b` is
  /// still in the window at `now`. A bucket that has left needs no correction: what it held no
  /// longer counts. True when it corrected.
  bool correct(std::int64_t b, std::int64_t delta, clock::time_point now) noexcept;

  /// How long until `n` more fit under `limit`: zero when they fit now; otherwise until enough
  /// old buckets have left (never zero); nullopt when `n` alone exceeds `limit` (never fits).
  std::optional<clock::duration> wait_for(std::uint64_t n, std::uint64_t limit,
                                          clock::time_point now) const noexcept;

  /// The window's figures under `limit` at `now`.
  rate_state state(std::uint64_t limit, clock::time_point now) const noexcept;

 private:
  struct slot {
    std::int64_t bucket = std::numeric_limits<std::int64_t>::min();  // never in any window
    std::uint64_t count = 0;
  };

  static bool in_window(std::int64_t b, std::int64_t current) noexcept {
    return b <= current && b > current - static_cast<std::int64_t>(bucket_count);
  }
  static std::size_t index_of(std::int64_t b) noexcept;
  /// Moves `head_` forward to `current`, taking the buckets that leave out of `total_`.
  void advance(std::int64_t current) noexcept;
  /// The sum over the window of `current`: `total_` when it is `head_`'s, else `scan`.
  std::uint64_t sum(std::int64_t current) const noexcept;
  /// The sum over the window of `current`, from the ring itself.
  std::uint64_t scan(std::int64_t current) const noexcept;

  std::array<slot, bucket_count> ring_{};
  // A cache of the sum, so that the hot path (many requests within one second) adds nothing up:
  // `total_` is the sum of the slots whose bucket is in the window of `head_`, the newest bucket
  // charged. A read at another second scans the ring instead.
  std::int64_t head_ = std::numeric_limits<std::int64_t>::min();
  std::uint64_t total_ = 0;
};

}  // namespace switchyard::actors

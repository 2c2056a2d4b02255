// Shared rate windows (`counters: redis://…`): an account's rpm and tpm are counted across the
// nodes in Redis (runtime/rate_script), and each node admits from a *slice* of the current
// second's allowance, held under the account's lock, so that admission stays local. A slice
// lives one second: what it did not use goes back to its Redis bucket with the next take (or
// the counters thread's next tick). See docs/architecture.md, "Cluster counters".
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "actors/ports/clock.hpp"

namespace switchyard::actors {

class limit_account;

/// Which shared window: requests per minute or tokens per minute.
enum class rate_kind : std::uint8_t { rpm, tpm };
inline constexpr std::size_t rate_kind_count = 2;

/// "rpm" or "tpm" (the suffix of the shared window's Redis key).
inline const char* to_string(rate_kind k) noexcept {
  return k == rate_kind::rpm ? "rpm" : "tpm";
}

/// How long a slice may be admitted from after it was asked for: one second, the width of the
/// shared window's buckets, so that what a slice admits is counted in the bucket of (at most) the
/// second before — any minute holds at most the limit plus one second's slices.
inline constexpr std::chrono::milliseconds slice_life{1000};
/// After a take found the window full, requests are refused locally (no round trip) for the
/// script's "time until it fits", at most this long: give-backs of other nodes free room sooner.
inline constexpr std::chrono::milliseconds refusal_hold_off{500};

/// How much a node asks for at once, for a limit of `limit` per minute: a 120th (half a second's
/// share at the limit's pace), never less than what the request needs.
inline std::uint64_t slice_want(std::uint64_t limit, std::uint64_t need) noexcept {
  return std::max<std::uint64_t>(need, std::max<std::uint64_t>(limit / 120, 1));
}

/// One account's slice of one shared window, kept by `limit_account` under its lock.
struct rate_slice {
  std::int64_t second = 0;             ///< the Redis second (bucket) the grant was counted in
  std::uint64_t granted = 0;           ///< the grant of that second
  std::uint64_t used = 0;              ///< admitted from it (may pass `granted`: tpm corrections)
  clock::time_point valid_until{};     ///< admits until then
  std::uint64_t window_used = 0;       ///< the shared window's count at the last answer
  clock::time_point refused_until{};   ///< the window was full: refuse locally until then
  std::chrono::milliseconds retry{0};  ///< the script's "time until it fits" at that refusal
  bool asking = false;                 ///< an exchange is under way

  /// What is left to admit from at `now`.
  std::uint64_t room(clock::time_point now) const noexcept {
    return now < valid_until && granted > used ? granted - used : 0;
  }
};

/// One `rate_take` of the counters thread for one window of one account, taken under its lock.
struct rate_exchange {
  std::string counter_id;  ///< "tenant:<name>" or "key:<key id>"
  rate_kind kind = rate_kind::rpm;
  std::uint64_t limit = 0;
  std::uint64_t want = 0;  ///< 0: a give-back only
  std::uint64_t need = 0;  ///< grant nothing unless this much is free
  std::int64_t back_second = 0;
  std::uint64_t back_amount = 0;  ///< the unused part of the old slice
  std::uint64_t over = 0;         ///< used beyond the old grant: charged to the new one
  clock::time_point sent_at{};
};

/// A request's shortfall in one shared window of one account (see admission_verdict).
struct rate_need {
  std::shared_ptr<limit_account> account;
  rate_kind kind = rate_kind::rpm;
  std::uint64_t need = 0;
};

/// What `rate_take` answered.
struct rate_answer {
  std::uint64_t granted = 0;
  std::int64_t second = 0;
  std::uint64_t window_used = 0;
  std::chrono::milliseconds wait{0};  ///< until `need` fits (0 when granted)
};

}  // namespace switchyard::actors

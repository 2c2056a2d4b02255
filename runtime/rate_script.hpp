// The Lua script behind shared rate windows (rpm / tpm across nodes): Redis holds each limit's
// per-second buckets (Redis' own clock), and a node takes a slice of what the last 60 s leave
// free, admits locally from it, and returns what it did not use when its second ends.
//   switchyard:rate:{<tenant:name | key:id>:<rpm | tpm>}   hash: unix second -> count taken
// Invariant: the buckets of any 60 one-second window sum to at most the limit.
//
// Admission takes slices through runtime/counters_service (actors/rate_slice.hpp); see
// docs/architecture.md, "Cluster counters".
#pragma once

#include <string>

#include "runtime/redis_client.hpp"

namespace switchyard::runtime {

/// `rate_take` KEYS window; ARGV want, need, limit, return_second, return_amount. First gives
/// `return_amount` back to bucket `return_second` if it is still in the window (never below 0);
/// drops buckets older than 60 s; then grants min(want, free) into the current second's bucket
/// when at least `need` is free, else nothing. Answers {granted, second, used in the window after,
/// ms until `need` would fit (0 when granted)}.
const redis_script& rate_take_script();

/// The key of a shared window: "switchyard:rate:{<counter id>:<kind>}", kind "rpm" or "tpm".
std::string rate_window_key(const std::string& counter_id, const std::string& kind);

}  // namespace switchyard::runtime

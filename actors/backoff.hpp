// The delay before a request tries the same target again: exponential, with "equal jitter" (half
// fixed, half random) so that retries of many requests spread out but none is immediate.
#pragma once

#include <chrono>
#include <cstdint>

#include "config/config.hpp"

namespace switchyard::actors {

/// The delay before same-target retry number `retry` (1 = the first), given a uniform random
/// `unit` in [0, 1): `cap/2 + unit × cap/2` with `cap = min(max, base × 2^(retry-1))`.
std::chrono::microseconds retry_backoff(const config::backoff_config& b, std::uint32_t retry,
                                        double unit) noexcept;

/// A uniform random number in [0, 1) from a per-thread generator.
double random_unit() noexcept;

}  // namespace switchyard::actors

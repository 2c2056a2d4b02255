// What admission does while the shared counters (Redis) are unreachable, per
// `cluster.on_counters_down` (see docs/configuration.md).
#pragma once

#include <optional>

#include "actors/budget_book.hpp"
#include "actors/gateway.hpp"
#include "actors/ports/lease_source.hpp"
#include "protocols/error.hpp"

namespace switchyard::actors {

/// How a lease too small is treated while the counters are down: 503 (`closed`) or this
/// node's own figures (`open`).
lease_mode down_mode(const lease_source& leases) noexcept;

/// With `rate_limits: closed` and the counters down, the 503 for a request under an rpm or tpm
/// limit (its key's or its tenant's); nullopt otherwise (and always without a lease source).
std::optional<protocols::error_info> counters_down_refusal(const lease_source* leases,
                                                           const request_context& ctx);

}  // namespace switchyard::actors

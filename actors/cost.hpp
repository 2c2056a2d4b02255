// What a response cost, from its usage and its target's prices.
#pragma once

#include "config/config.hpp"
#include "protocols/usage.hpp"
#include "protocols/usage_cost.hpp"

namespace switchyard::actors {

/// USD for `u` at `target`'s per-million-token prices. Cached prompt tokens are billed at the
/// cached price when the target has one, else at the input price.
double cost_usd(const config::target_config& target, const protocols::usage& u) noexcept;

/// `target`'s prices, for protocols::cost_usd (what responses report as `usage.cost`).
protocols::token_prices prices_of(const config::target_config& target) noexcept;

}  // namespace switchyard::actors

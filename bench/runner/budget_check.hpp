// The budget-contention verdict: a tenant's budget, what was spent against it and how many
// requests it refused, read from the gateway's /metrics once the load is over.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::bench {

/// A tenant budget after a load.
struct budget_outcome {
  double budget_usd = 0;
  double spend_usd = 0;       ///< settled spend: the cost of the usage records of the period
  std::uint64_t refused = 0;  ///< requests the budget refused (402)
  /// Spend beyond the budget; a hard cap keeps it at or below 0.
  double overshoot() const { return spend_usd - budget_usd; }
};

/// Reads `switchyard_tenant_budget_usd`, `switchyard_tenant_spend_usd` and
/// `switchyard_tenant_rejected_total{reason="budget"}` of `tenant` from a Prometheus text
/// exposition; nullopt when the tenant has no budget series.
std::optional<budget_outcome> read_budget_outcome(std::string_view metrics,
                                                  std::string_view tenant);

/// One report line: budget, spend, overshoot (and whether it is within the cap), 402s.
std::string budget_line(const budget_outcome& b);

}  // namespace switchyard::bench

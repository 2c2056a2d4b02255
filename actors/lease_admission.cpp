#include "actors/lease_admission.hpp"

namespace switchyard::actors {

lease_mode down_mode(const lease_source& leases) noexcept {
  return leases.when_down().budgets == config::counters_down_policy::open ? lease_mode::down_open
                                                                          : lease_mode::down_closed;
}

std::optional<protocols::error_info> counters_down_refusal(const lease_source* leases,
                                                           const request_context& ctx) {
  if (leases == nullptr || leases->up() ||
      leases->when_down().rate_limits != config::counters_down_policy::closed ||
      ctx.tenant == nullptr)
    return std::nullopt;
  const auto rate_limited = [](const config::limits_config& l) { return l.rpm != 0 || l.tpm != 0; };
  const bool limited =
      rate_limited(ctx.tenant->limits) || (ctx.key != nullptr && rate_limited(ctx.key->limits));
  if (!limited) return std::nullopt;
  return protocols::make_error(
      protocols::gateway_error::counters_unavailable,
      "The rate limits of this key are shared by the gateway's nodes through its counters "
      "(Redis), which this node cannot reach, and the gateway is configured to refuse requests "
      "then (cluster.on_counters_down.rate_limits: closed). Retry after the delay in Retry-After.",
      {}, 5);
}

}  // namespace switchyard::actors

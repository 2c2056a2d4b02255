// Cost arithmetic, kept in one place so billing and reporting can never disagree: the records'
// cost and the responses' `usage.cost` both come from protocols::cost_usd.
#include "actors/cost.hpp"

#include "protocols/usage_cost.hpp"

namespace switchyard::actors {

protocols::token_prices prices_of(const config::target_config& target) noexcept {
  return {target.input_usd_per_mtok, target.output_usd_per_mtok, target.cached_input_usd_per_mtok};
}

double cost_usd(const config::target_config& target, const protocols::usage& u) noexcept {
  return protocols::cost_usd(prices_of(target), u);
}

}  // namespace switchyard::actors

// Cost arithmetic, kept in one place so billing and reporting can never disagree.
#include "actors/cost.hpp"

#include <algorithm>

namespace switchyard::actors {

double cost_usd(const config::target_config& target, const protocols::usage& u) noexcept {
  const double cached = std::min(u.cached_tokens, u.prompt_tokens);
  const double fresh = static_cast<double>(u.prompt_tokens) - cached;
  const double cached_price =
      target.cached_input_usd_per_mtok > 0 ? target.cached_input_usd_per_mtok : target.input_usd_per_mtok;
  return (fresh * target.input_usd_per_mtok + cached * cached_price +
          static_cast<double>(u.completion_tokens) * target.output_usd_per_mtok) /
         1e6;
}

}  // namespace switchyard::actors

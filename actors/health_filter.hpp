// The health filter of a routing plan: ejected and cooling-down providers are skipped, but never
// every target of a model, so an outage of all of them degrades to "the least bad" instead of a
// gateway that refuses everything (LiteLLM's "all deployments cooling down").
#pragma once

#include "actors/ports/clock.hpp"
#include "actors/router.hpp"

namespace switchyard::actors {

/// Keeps, in their order, the targets of `p` whose provider is available at `now`. When none is,
/// keeps them all, soonest available first (ties keep the plan's order). Does nothing to a plan
/// with an error.
void apply_health(plan& p, clock::time_point now);

}  // namespace switchyard::actors

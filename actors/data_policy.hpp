// Data policies: which providers may see a request's prompt. A tenant's (and a key's) policy from
// the config and the request's own `provider.data_collection` / `provider.zdr` are checked against
// each provider's `retains_prompts`, `trains_on_data`, `zdr` and `region`.
#pragma once

#include <string>

#include "config/config.hpp"
#include "protocols/routing_controls.hpp"

namespace switchyard::actors {

/// Every data constraint on one request. Null members impose nothing.
struct data_constraints {
  const config::tenant_config* tenant = nullptr;    ///< its `policy`
  const config::data_policy* key_policy = nullptr;  ///< the calling key's, on top of the tenant's
  const protocols::routing_controls* request = nullptr;  ///< data_collection, zdr

  /// True when `provider` satisfies every constraint.
  bool admits(const config::provider_config& provider) const;

  /// True when any constraint is set (a request without one never gets a policy error).
  bool any() const;

  /// The constraints in words, for the 403 that names them, e.g. "tenant `acme`'s data policy:
  /// deny_training, regions ∈ {eu}; the request's provider.data_collection: deny".
  std::string describe() const;
};

/// True when `provider` satisfies `policy`.
bool complies(const config::provider_config& provider, const config::data_policy& policy);

}  // namespace switchyard::actors

// Routing policy: which targets may serve a request, in which order. Pure functions over the
// routing snapshot, so a request never waits on a router round trip.
#pragma once

#include <optional>
#include <vector>

#include "actors/routing_table.hpp"
#include "actors/strategy.hpp"
#include "config/config.hpp"
#include "protocols/error.hpp"

namespace switchyard::actors {

/// The ordered targets for one request, or the error that ends it before any attempt.
struct plan {
  const route* chosen = nullptr;
  std::vector<const route_target*> targets;
  std::optional<protocols::error_info> error;
  /// Attempts allowed across `targets`: the chosen model's `max_attempts` plus those of the
  /// request's fallback models (`models`).
  std::uint32_t max_attempts = 0;
};

/// What a request brings to routing besides its model and tenant.
struct plan_options {
  const protocols::routing_controls* controls = nullptr;  ///< null = no preferences
  const config::data_policy* key_policy = nullptr;  ///< the calling key's policy, if it has one
  std::uint32_t prompt_tokens = 0;                  ///< the prompt estimate (cost ordering)
  std::optional<std::uint32_t> max_tokens;          ///< the request's output cap
  const uniform_source* random = nullptr;  ///< null = a per-thread generator (weighted, latency)
};

/// True when `tenant` may use `model` (an empty allow-list allows every model).
bool tenant_may_use(const config::tenant_config* tenant, const std::string& model);

/// Why `tenant` cannot name `model` at all: 404 for a model `config` does not have, 403 for one
/// the tenant may not use; nullopt when it may. (make_plan starts with this check.)
std::optional<protocols::error_info> model_access_error(const config::snapshot& config,
                                                        const std::string& model,
                                                        const config::tenant_config* tenant);

/// Plans `model` for `tenant`. `model` may end in `:floor` (sort by price) or `:nitro` (by
/// throughput) when no model has that exact name. Errors, in order: 404 for an unknown model;
/// 403 for one the tenant may not use; 400 naming the unknown and 403 naming the forbidden
/// fallback `models`; 403 naming the data policy when no target complies with it; 404 when the
/// request's provider preferences (only, ignore, max_price, order without fallbacks) leave none;
/// 503 (Retry-After) when no enabled provider is left. Else the compliant enabled targets of
/// `model`, then of each fallback model, each model's ordered by its strategy (or the request's
/// sort), the request's `provider.order` first.
plan make_plan(const routing_table& table, const std::string& model,
               const config::tenant_config* tenant, const plan_options& options = {});

}  // namespace switchyard::actors

// Routing policy: which targets may serve a request, in which order. Pure functions over the
// routing snapshot, so a request never waits on a router round trip.
#pragma once

#include <optional>
#include <vector>

#include "actors/routing_table.hpp"
#include "config/config.hpp"
#include "protocols/error.hpp"

namespace switchyard::actors {

/// The ordered targets for one request, or the error that ends it before any attempt.
struct plan {
  const route* chosen = nullptr;
  std::vector<const route_target*> targets;
  std::optional<protocols::error_info> error;
};

/// True when `tenant` may use `model` (an empty allow-list allows every model).
bool tenant_may_use(const config::tenant_config* tenant, const std::string& model);

/// Why `tenant` cannot name `model` at all: 404 for a model `config` does not have, 403 for one
/// the tenant may not use; nullopt when it may. (make_plan starts with this check.)
std::optional<protocols::error_info> model_access_error(const config::snapshot& config,
                                                        const std::string& model,
                                                        const config::tenant_config* tenant);

/// Plans `model` for `tenant`: 404 for an unknown model, 403 for one the tenant may not use,
/// 503 (Retry-After) when no enabled provider serves it; else its enabled targets in order.
plan make_plan(const routing_table& table, const std::string& model,
               const config::tenant_config* tenant);

}  // namespace switchyard::actors

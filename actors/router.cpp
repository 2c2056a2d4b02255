// The `ordered` strategy: configured order, disabled providers skipped.
#include "actors/router.hpp"

#include <algorithm>

namespace switchyard::actors {

using protocols::gateway_error;
using protocols::make_error;

bool tenant_may_use(const config::tenant_config* tenant, const std::string& model) {
  if (tenant == nullptr || tenant->allowed_models.empty()) return true;
  const auto& allowed = tenant->allowed_models;
  return std::find(allowed.begin(), allowed.end(), model) != allowed.end();
}

namespace {

protocols::error_info unknown_model(const std::string& model) {
  return make_error(gateway_error::model_not_found,
                    "The model `" + model +
                        "` does not exist or you do not have access to it. "
                        "GET /v1/models lists the models your key may use.",
                    "model");
}

protocols::error_info forbidden_model(const std::string& model) {
  return make_error(gateway_error::forbidden,
                    "Your key may not use the model `" + model +
                        "`. Ask your administrator to add it to the tenant's allowed_models.",
                    "model");
}

}  // namespace

std::optional<protocols::error_info> model_access_error(const config::snapshot& config,
                                                        const std::string& model,
                                                        const config::tenant_config* tenant) {
  if (config.find_model(model) == nullptr) return unknown_model(model);
  if (!tenant_may_use(tenant, model)) return forbidden_model(model);
  return std::nullopt;
}

plan make_plan(const routing_table& table, const std::string& model,
               const config::tenant_config* tenant) {
  plan p;
  p.chosen = table.find(model);
  if (p.chosen == nullptr) {
    p.error = unknown_model(model);
    return p;
  }
  if (!tenant_may_use(tenant, model)) {
    p.error = forbidden_model(model);
    return p;
  }
  for (const auto& t : p.chosen->targets) {
    if (t.provider->enabled) p.targets.push_back(&t);
  }
  if (p.targets.empty()) {
    p.error = make_error(gateway_error::no_healthy_target,
                         "No enabled provider serves the model `" + model +
                             "` right now (check the gateway's startup warnings for providers "
                             "disabled by a missing credential). Retry later.",
                         "model", 1);
  }
  return p;
}

}  // namespace switchyard::actors

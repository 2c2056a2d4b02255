// The plan of one request: which targets, in which order (model access, fallback models, data
// policies, the request's provider preferences, then the strategy).
#include "actors/router.hpp"

#include <algorithm>
#include <random>

#include "actors/data_policy.hpp"

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

namespace {

using protocols::provider_sort;
using protocols::routing_controls;

// A model as the client named it: exact, else without an OpenRouter variant suffix.
struct resolved_model {
  const route* r = nullptr;
  provider_sort sort = provider_sort::none;
};

resolved_model resolve(const routing_table& table, const std::string& name) {
  if (const route* r = table.find(name)) return {r, provider_sort::none};
  const auto [base, sort] = protocols::split_model_variant(name);
  if (sort != provider_sort::none) {
    if (const route* r = table.find(std::string{base})) return {r, sort};
  }
  return {};
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "`" : ", `") + n + "`";
  return out;
}

// The request's `only`, `ignore` and `max_price`.
bool preferred(const routing_controls& c, const route_target& t) {
  const auto& name = t.provider->name;
  if (!c.only.empty() && !listed(c.only, name)) return false;
  if (listed(c.ignore, name)) return false;
  if (c.max_prompt_price && t.target->input_usd_per_mtok > *c.max_prompt_price) return false;
  if (c.max_completion_price && t.target->output_usd_per_mtok > *c.max_completion_price)
    return false;
  return true;
}

// `provider.order` first, in its order; without fallbacks, nothing else.
void apply_order(const routing_controls& c, std::vector<candidate>& v) {
  if (c.order.empty()) {
    if (!c.allow_fallbacks && v.size() > 1) v.resize(1);
    return;
  }
  auto rank = [&](const candidate& x) {
    return static_cast<std::size_t>(
        std::find(c.order.begin(), c.order.end(), x.target->provider->name) - c.order.begin());
  };
  std::stable_sort(v.begin(), v.end(),
                   [&](const candidate& a, const candidate& b) { return rank(a) < rank(b); });
  if (!c.allow_fallbacks) {
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](const candidate& x) { return rank(x) == c.order.size(); }),
            v.end());
  }
}

std::string describe_preferences(const routing_controls& c) {
  std::vector<std::string> parts;
  if (!c.only.empty()) parts.push_back("only " + quoted_list(c.only));
  if (!c.ignore.empty()) parts.push_back("ignore " + quoted_list(c.ignore));
  if (c.max_prompt_price)
    parts.push_back("max_price.prompt " + std::to_string(*c.max_prompt_price));
  if (c.max_completion_price)
    parts.push_back("max_price.completion " + std::to_string(*c.max_completion_price));
  if (!c.allow_fallbacks) {
    parts.push_back(c.order.empty() ? "allow_fallbacks false"
                                    : "order " + quoted_list(c.order) + " without fallbacks");
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

double thread_uniform() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

// The fallback `models`: each must exist and be allowed for the tenant.
std::optional<protocols::error_info> resolve_fallbacks(const routing_table& table,
                                                       const routing_controls& c,
                                                       const config::tenant_config* tenant,
                                                       std::vector<resolved_model>& out) {
  std::vector<std::string> unknown;
  std::vector<std::string> forbidden;
  for (const auto& name : c.fallback_models) {
    auto m = resolve(table, name);
    if (m.r == nullptr) {
      unknown.push_back(name);
    } else if (!tenant_may_use(tenant, m.r->model->name)) {
      forbidden.push_back(name);
    } else if (std::none_of(out.begin(), out.end(),
                            [&](const resolved_model& o) { return o.r == m.r; })) {
      out.push_back(m);
    }
  }
  if (!unknown.empty()) {
    return make_error(
        gateway_error::bad_request,
        "`models` names model(s) this gateway does not serve: " + quoted_list(unknown) +
            ". GET /v1/models lists the models your key may use.",
        "models");
  }
  if (!forbidden.empty()) {
    return make_error(gateway_error::forbidden,
                      "Your key may not use the fallback model(s) " + quoted_list(forbidden) +
                          " named in `models`. Ask your administrator to add them to the "
                          "tenant's allowed_models.",
                      "models");
  }
  return std::nullopt;
}

}  // namespace

plan make_plan(const routing_table& table, const std::string& model,
               const config::tenant_config* tenant, const plan_options& options) {
  static const routing_controls no_controls;
  const routing_controls& controls = options.controls ? *options.controls : no_controls;
  plan p;
  auto primary = resolve(table, model);
  p.chosen = primary.r;
  if (p.chosen == nullptr) {
    p.error = unknown_model(model);
    return p;
  }
  if (!tenant_may_use(tenant, p.chosen->model->name)) {
    p.error = forbidden_model(model);
    return p;
  }
  std::vector<resolved_model> models{primary};
  if (auto e = resolve_fallbacks(table, controls, tenant, models)) {
    p.error = std::move(e);
    return p;
  }

  const data_constraints policy{tenant, options.key_policy, &controls};
  static const uniform_source fallback_random = thread_uniform;
  const uniform_source& random = options.random ? *options.random : fallback_random;
  std::size_t compliant = 0;
  std::size_t wanted = 0;
  for (const auto& m : models) {
    std::vector<candidate> candidates;
    for (const auto& t : m.r->targets) {
      if (!policy.admits(*t.provider)) continue;
      ++compliant;
      if (!preferred(controls, t)) continue;
      candidates.push_back(make_candidate(t, options.prompt_tokens, options.max_tokens));
    }
    const auto sort = controls.sort != provider_sort::none ? controls.sort : m.sort;
    order_candidates(candidates, m.r->model->strategy, sort, random);
    apply_order(controls, candidates);
    wanted += candidates.size();
    for (const auto& c : candidates) {
      if (c.target->provider->enabled) p.targets.push_back(c.target);
    }
    p.max_attempts += m.r->model->max_attempts;
  }

  if (compliant == 0) {
    p.error = make_error(gateway_error::forbidden,
                         "No provider serving `" + model + "` satisfies " + policy.describe() +
                             ". Ask your administrator which providers your data policy allows.",
                         "model");
  } else if (wanted == 0) {
    p.error = make_error(gateway_error::model_not_found,
                         "No provider serving `" + model +
                             "` matches the request's provider "
                             "preferences (" +
                             describe_preferences(controls) +
                             "). Relax `provider` or drop it to use any provider.",
                         "provider");
  } else if (p.targets.empty()) {
    p.error = make_error(gateway_error::no_healthy_target,
                         "No enabled provider serves the model `" + model +
                             "` right now (check the gateway's startup warnings for providers "
                             "disabled by a missing credential). Retry later.",
                         "model", 1);
  }
  return p;
}

}  // namespace switchyard::actors

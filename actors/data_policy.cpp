// Data-policy checks (see data_policy.hpp).
#include "actors/data_policy.hpp"

#include <algorithm>
#include <vector>

namespace switchyard::actors {

bool complies(const config::provider_config& provider, const config::data_policy& policy) {
  if (policy.deny_training && provider.trains_on_data) return false;
  if (policy.deny_retention && provider.retains_prompts) return false;
  if (policy.require_zdr && !provider.zdr) return false;
  // A provider whose region is unknown cannot prove it is in an allowed one.
  if (!policy.regions.empty() && std::find(policy.regions.begin(), policy.regions.end(),
                                           provider.region) == policy.regions.end())
    return false;
  return true;
}

namespace {

bool is_empty(const config::data_policy& p) {
  return !p.deny_training && !p.deny_retention && !p.require_zdr && p.regions.empty();
}

std::string clauses(const config::data_policy& p) {
  std::vector<std::string> parts;
  if (p.deny_training) parts.emplace_back("deny_training");
  if (p.deny_retention) parts.emplace_back("deny_retention");
  if (p.require_zdr) parts.emplace_back("require_zdr");
  if (!p.regions.empty()) {
    std::string r = "regions \xE2\x88\x88 {";  // ∈
    for (std::size_t i = 0; i < p.regions.size(); ++i) r += (i ? ", " : "") + p.regions[i];
    parts.push_back(r + "}");
  }
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

bool data_constraints::admits(const config::provider_config& provider) const {
  if (tenant != nullptr && !complies(provider, tenant->policy)) return false;
  if (key_policy != nullptr && !complies(provider, *key_policy)) return false;
  if (request != nullptr) {
    // OpenRouter's `data_collection: deny`: no provider that keeps or trains on prompts.
    if (request->deny_data_collection && (provider.retains_prompts || provider.trains_on_data))
      return false;
    if (request->require_zdr && !provider.zdr) return false;
  }
  return true;
}

bool data_constraints::any() const {
  return (tenant != nullptr && !is_empty(tenant->policy)) ||
         (key_policy != nullptr && !is_empty(*key_policy)) ||
         (request != nullptr && (request->deny_data_collection || request->require_zdr));
}

std::string data_constraints::describe() const {
  std::vector<std::string> parts;
  if (tenant != nullptr && !is_empty(tenant->policy))
    parts.push_back("tenant `" + tenant->name + "`'s data policy: " + clauses(tenant->policy));
  if (key_policy != nullptr && !is_empty(*key_policy))
    parts.push_back("the API key's data policy: " + clauses(*key_policy));
  if (request != nullptr) {
    if (request->deny_data_collection)
      parts.emplace_back("the request's provider.data_collection: deny");
    if (request->require_zdr) parts.emplace_back("the request's provider.zdr: true");
  }
  std::string out;
  for (const auto& s : parts) out += (out.empty() ? "" : "; ") + s;
  return out;
}

}  // namespace switchyard::actors

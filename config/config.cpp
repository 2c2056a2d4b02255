// Snapshot look-ups. Linear scans: a snapshot holds tens of entries and callers that are on the
// hot path resolve names once (e.g. target_config::provider_index) and keep the pointer.
#include "config/config.hpp"

#include <algorithm>

namespace switchyard::config {

const char* to_string(counters_down_policy p) noexcept {
  return p == counters_down_policy::open ? "open" : "closed";
}

std::string_view to_string(provider_type t) noexcept {
  switch (t) {
    case provider_type::mock: return "mock";
    case provider_type::openai: return "openai";
    case provider_type::openai_compatible: return "openai-compatible";
    case provider_type::anthropic: return "anthropic";
    case provider_type::gemini: return "gemini";
  }
  return "unknown";
}

protocols::dialect dialect_of(provider_type t) noexcept {
  switch (t) {
    case provider_type::anthropic: return protocols::dialect::anthropic;
    case provider_type::gemini: return protocols::dialect::gemini;
    case provider_type::mock:
    case provider_type::openai:
    case provider_type::openai_compatible: break;
  }
  return protocols::dialect::openai;
}

std::string_view api_key_header(provider_type t) noexcept {
  switch (t) {
    case provider_type::anthropic: return "x-api-key";
    case provider_type::gemini: return "x-goog-api-key";
    case provider_type::mock:
    case provider_type::openai:
    case provider_type::openai_compatible: break;
  }
  return "authorization";
}

const provider_config* snapshot::find_provider(const std::string& name) const {
  auto it = std::find_if(providers.begin(), providers.end(),
                         [&](const provider_config& p) { return p.name == name; });
  return it == providers.end() ? nullptr : &*it;
}

const model_config* snapshot::find_model(const std::string& name) const {
  auto it = std::find_if(models.begin(), models.end(),
                         [&](const model_config& m) { return m.name == name; });
  return it == models.end() ? nullptr : &*it;
}

const tenant_config* snapshot::find_tenant(const std::string& name) const {
  auto it = std::find_if(tenants.begin(), tenants.end(),
                         [&](const tenant_config& t) { return t.name == name; });
  return it == tenants.end() ? nullptr : &*it;
}

}  // namespace switchyard::config

// Merging the admin store into a config snapshot (see live_config.hpp).
#include "runtime/live_config.hpp"

#include <algorithm>
#include <chrono>

#include "runtime/admin_spec.hpp"

namespace switchyard::runtime {

config::snapshot_ptr merge_store(const config::snapshot& file, const store_contents& store,
                                 std::vector<std::string>& warnings) {
  auto merged = std::make_shared<config::snapshot>(file);
  auto& tenants = merged->tenants;
  for (const auto& st : store.tenants) {
    if (merged->find_tenant(st.name) != nullptr) {
      warnings.push_back("stored tenant '" + st.name +
                         "' is shadowed by the config file's tenant of the same name");
      continue;
    }
    auto t = tenant_from_stored(st.name, st.spec);
    if (!t) {
      warnings.push_back("stored tenant '" + st.name + "' has unreadable settings; skipped");
      continue;
    }
    tenants.push_back(std::move(*t));
  }
  for (const auto& k : store.keys) {
    if (k.revoked_at_ms) continue;
    auto it = std::find_if(tenants.begin(), tenants.end(),
                           [&](const config::tenant_config& t) { return t.name == k.tenant; });
    if (it == tenants.end()) {
      warnings.push_back("key " + k.id + " belongs to tenant '" + k.tenant +
                         "', which no longer exists; it does not authenticate");
      continue;
    }
    config::key_config key;
    if (!key_settings_from_stored(k.spec, key)) {
      warnings.push_back("key " + k.id + " has unreadable settings; it does not authenticate");
      continue;
    }
    key.hash = k.hash;
    key.prefix = k.prefix;
    key.name = k.name;
    if (k.expires_at_ms)
      key.expires_at =
          std::chrono::system_clock::time_point{std::chrono::milliseconds{*k.expires_at_ms}};
    it->keys.push_back(std::move(key));
  }
  return merged;
}

config::snapshot_ptr merge_from(const config::snapshot& file, admin_store& store,
                                std::vector<std::string>& warnings, std::string& error) {
  store_contents contents;
  if (!store.tenants(contents.tenants, error) || !store.keys({}, contents.keys, error))
    return nullptr;
  return merge_store(file, contents, warnings);
}

}  // namespace switchyard::runtime

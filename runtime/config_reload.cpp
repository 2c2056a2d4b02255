// Reload checks (see config_reload.hpp). Providers are compared on their YAML text rather than
// field by field, so a provider setting added later can never be missed by this check.
#include "runtime/config_reload.hpp"

#include <yaml-cpp/yaml.h>

namespace switchyard::runtime {

std::string providers_section(const std::string& path) {
  try {
    auto root = YAML::LoadFile(path);
    return YAML::Dump(root["providers"]);
  } catch (const std::exception&) {
    return {};
  }
}

reload_check check_reload(const config::snapshot& running, const std::string& running_providers,
                          const config::snapshot& next, const std::string& next_providers) {
  reload_check out;
  bool same_providers = !next_providers.empty() && next_providers == running_providers &&
                        next.providers.size() == running.providers.size();
  for (std::size_t i = 0; same_providers && i < next.providers.size(); ++i)
    same_providers = next.providers[i].name == running.providers[i].name &&
                     next.providers[i].enabled == running.providers[i].enabled &&
                     next.providers[i].api_key == running.providers[i].api_key;
  if (!same_providers) {
    out.refusal =
        "providers: changed; provider changes take effect only at a restart, so nothing was "
        "applied";
    return out;
  }
  const auto& a = running.server;
  const auto& b = next.server;
  auto keep = [&out](bool changed, const char* key) {
    if (changed)
      out.warnings.push_back(std::string{key} +
                             " changed; the running value stays until a restart");
  };
  keep(a.listen_host != b.listen_host || a.listen_port != b.listen_port, "server.listen");
  keep(a.io_threads != b.io_threads, "server.io_threads");
  keep(a.actor_threads != b.actor_threads, "server.actor_threads");
  keep(a.max_header_bytes != b.max_header_bytes, "server.max_header_bytes");
  keep(a.max_body_bytes != b.max_body_bytes, "server.max_body_bytes");
  keep(a.read_timeout != b.read_timeout, "server.read_timeout_ms");
  keep(a.idle_timeout != b.idle_timeout, "server.idle_timeout_ms");
  keep(a.write_timeout != b.write_timeout, "server.write_timeout_ms");
  keep(a.drain_timeout != b.drain_timeout, "server.drain_timeout_ms");
  keep(a.max_connections != b.max_connections, "server.max_connections");
  keep(a.spool_dir != b.spool_dir, "server.spool_dir");  // the journal is open, and locked
  keep(a.spool_fsync != b.spool_fsync, "server.spool_fsync");
  keep(running.storage != next.storage, "storage");
  keep(running.counters != next.counters, "counters");
  return out;
}

}  // namespace switchyard::runtime

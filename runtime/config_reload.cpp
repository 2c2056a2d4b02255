// Reload checks (see config_reload.hpp).
#include "runtime/config_reload.hpp"

#include "actors/provider_diff.hpp"

namespace switchyard::runtime {

reload_check check_reload(const config::snapshot& started, const config::snapshot& routed,
                          const config::snapshot& next) {
  reload_check out;
  out.changes = actors::describe(actors::plan_providers(routed.providers, next.providers),
                                 routed.providers, next.providers);
  const auto& a = started.server;
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
  keep(started.storage != next.storage, "storage");
  keep(started.counters != next.counters, "counters");
  // The counters service runs with the node id, TTL, interval and policies it started with.
  const auto& c = started.cluster;
  const auto& d = next.cluster;
  keep(c.node_id != d.node_id || c.lease_ttl != d.lease_ttl ||
           c.report_interval != d.report_interval ||
           c.on_counters_down.budgets != d.on_counters_down.budgets ||
           c.on_counters_down.rate_limits != d.on_counters_down.rate_limits,
       "cluster");
  return out;
}

}  // namespace switchyard::runtime

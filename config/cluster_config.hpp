// `cluster:` — how a node shares budgets, rate windows and provider ejections with the other
// nodes through `counters: redis://…` (see docs/architecture.md, "Cluster counters").
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace switchyard::config {

/// What a node does when the shared counters (Redis) cannot be reached.
enum class counters_down_policy : std::uint8_t {
  closed,  ///< refuse (503) what the shared state cannot vouch for
  open,    ///< decide on this node's own figures alone
};

/// `cluster.on_counters_down`
struct counters_down_config {
  /// `budgets`: once the leases a node holds are spent or expired. Default closed: a budget is a
  /// hard cap, and nodes deciding alone could each spend all of it.
  counters_down_policy budgets = counters_down_policy::closed;
  /// `rate_limits`: default open: a node then limits on its own windows only.
  counters_down_policy rate_limits = counters_down_policy::open;
};

struct cluster_config {
  /// `node_id`: names this node's leases and broadcasts; unique in the cluster. Empty in the
  /// file = "<hostname>-<pid>", filled in at start.
  std::string node_id;
  /// `lease_ttl_ms`: a lease not renewed for this long returns to the pool (a node that died).
  std::chrono::milliseconds lease_ttl{3'000};
  /// `report_interval_ms`: how often a node reports what it spent (and renews its leases). The
  /// spend of a SIGKILLed node not yet reported is at most one interval's.
  std::chrono::milliseconds report_interval{100};
  counters_down_config on_counters_down;
};

/// "closed" or "open".
const char* to_string(counters_down_policy p) noexcept;

}  // namespace switchyard::config

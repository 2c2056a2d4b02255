// What a hot reload does to each provider: the pure comparison of the running `providers:` with a
// new file's, which the provider supervisor then applies (see docs/architecture.md, hot reload).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/provider_stats.hpp"
#include "config/config.hpp"

namespace switchyard::actors {

/// How one provider of the new config relates to the running ones (matched by name).
enum class provider_change : std::uint8_t {
  added,     ///< no running provider has its name: a new actor, new stats
  kept,      ///< same name and same upstream: the running actor (reconfigured) and its stats
  replaced,  ///< same name, another upstream: a new actor and new stats; the old actor drains
};

/// A provider's identity as far as its actor's live figures are concerned: its type, endpoint
/// (`base_url`, and the simulated behaviour of a mock) and the settings its health state was built
/// with (`circuit`, `retry_budget`, `hedge_budget`, `max_cooldown_ms`). When these are equal, the
/// circuit, latency estimate and counters measured so far still describe the provider, so they
/// are kept; every other setting (key, limits, timeouts, headers, attributes…) changes in place.
bool same_upstream(const config::provider_config& a, const config::provider_config& b);

/// The reload plan for every provider of the new config, in its order.
struct provider_plan {
  std::vector<provider_change> changes;             ///< one per new provider
  std::vector<std::optional<std::size_t>> running;  ///< its running index (kept or replaced)
  /// Running indices whose actor leaves the routes (removed, or replaced by a new upstream).
  std::vector<std::size_t> retired;
  /// Running indices whose name is gone from the new config.
  std::vector<std::size_t> removed;
};

/// Compares `running` with `next` (names are unique within each, as the loader checks).
provider_plan plan_providers(const std::vector<config::provider_config>& running,
                             const std::vector<config::provider_config>& next);

/// One line per change for the log, e.g. "provider `b` added", "provider `a` changed in place";
/// empty when no provider changed. Never names a secret.
std::vector<std::string> describe(const provider_plan& plan,
                                  const std::vector<config::provider_config>& running,
                                  const std::vector<config::provider_config>& next);

/// Fresh live figures for `p`: its name, its in-flight limit and its health settings.
std::shared_ptr<provider_stats> make_provider_stats(const config::provider_config& p);

}  // namespace switchyard::actors

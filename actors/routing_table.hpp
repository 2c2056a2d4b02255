// The immutable routing snapshot: for each model its targets with their provider actors. The
// provider supervisor publishes a new one whenever a provider actor is (re)started or a reload
// changes the config; request actors read whichever is current when they start.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>

#include "actors/provider_stats.hpp"
#include "config/config.hpp"

namespace switchyard::actors {

/// One way to serve a model: the target's prices and model name, its provider, that provider's
/// actor and its live figures (whose counters also serve the admission fast path).
struct route_target {
  const config::target_config* target = nullptr;
  const config::provider_config* provider = nullptr;
  caf::actor provider_actor;
  std::shared_ptr<provider_stats> stats;
  const config::model_config* model = nullptr;  ///< the model this target serves
};

/// A model and its targets, in configured order.
struct route {
  const config::model_config* model = nullptr;
  std::vector<route_target> targets;
};

/// Every model's route. Pointers point into `config`, which the table keeps alive.
class routing_table {
 public:
  /// Builds the routes of `config` over `provider_actors` and their `stats` (both in
  /// `config->providers` order).
  routing_table(config::snapshot_ptr config, std::vector<caf::actor> provider_actors,
                std::vector<std::shared_ptr<provider_stats>> stats);

  /// The route of `model`, or nullptr.
  const route* find(const std::string& model) const;

  const config::snapshot_ptr& config() const noexcept { return config_; }
  const std::vector<caf::actor>& provider_actors() const noexcept { return providers_; }
  /// The live figures of every provider, in `config()->providers` order.
  const std::vector<std::shared_ptr<provider_stats>>& stats() const noexcept { return stats_; }

 private:
  config::snapshot_ptr config_;
  std::vector<caf::actor> providers_;
  std::vector<std::shared_ptr<provider_stats>> stats_;
  std::unordered_map<std::string, route> routes_;
};

using routing_table_ptr = std::shared_ptr<const routing_table>;

}  // namespace switchyard::actors

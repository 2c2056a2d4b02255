// Routing snapshot construction.
#include "actors/routing_table.hpp"

namespace switchyard::actors {

routing_table::routing_table(config::snapshot_ptr config, std::vector<caf::actor> provider_actors,
                             std::vector<std::shared_ptr<provider_stats>> stats)
    : config_(std::move(config)), providers_(std::move(provider_actors)), stats_(std::move(stats)) {
  routes_.reserve(config_->models.size());
  for (const auto& model : config_->models) {
    route r;
    r.model = &model;
    for (const auto& t : model.targets) {
      r.targets.push_back(route_target{&t, &config_->providers.at(t.provider_index),
                                       providers_.at(t.provider_index), stats_.at(t.provider_index),
                                       &model});
    }
    routes_.emplace(model.name, std::move(r));
  }
}

const route* routing_table::find(const std::string& model) const {
  auto i = routes_.find(model);
  return i == routes_.end() ? nullptr : &i->second;
}

}  // namespace switchyard::actors

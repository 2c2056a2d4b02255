// Ejected providers out of the plan, unless that would leave nothing.
#include "actors/health_filter.hpp"

#include <algorithm>

namespace switchyard::actors {

void apply_health(plan& p, clock::time_point now) {
  if (p.error || p.targets.empty()) return;
  auto& t = p.targets;
  const auto healthy = [now](const route_target* r) { return r->stats->health.available(now); };
  if (std::any_of(t.begin(), t.end(), healthy)) {
    t.erase(std::remove_if(t.begin(), t.end(), [&](const route_target* r) { return !healthy(r); }),
            t.end());
    return;
  }
  std::stable_sort(t.begin(), t.end(), [](const route_target* a, const route_target* b) {
    return a->stats->health.available_at() < b->stats->health.available_at();
  });
}

}  // namespace switchyard::actors

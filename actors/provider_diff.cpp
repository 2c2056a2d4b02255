// Provider reload plan (see provider_diff.hpp).
#include "actors/provider_diff.hpp"

#include <unordered_map>

namespace switchyard::actors {

namespace {

// Equal but for where they were written: moving a provider in the file changes nothing.
bool same_settings(const config::provider_config& a, const config::provider_config& b) {
  auto x = a;
  auto y = b;
  x.line = 0;
  y.line = 0;
  return x == y;
}

std::string quoted(const std::string& name) {
  return "provider `" + name + "`";
}

}  // namespace

bool same_upstream(const config::provider_config& a, const config::provider_config& b) {
  return a.type == b.type && a.base_url == b.base_url && a.endpoint == b.endpoint &&
         a.mock == b.mock && a.circuit == b.circuit && a.retry_budget == b.retry_budget &&
         a.hedge_budget == b.hedge_budget && a.max_cooldown == b.max_cooldown;
}

provider_plan plan_providers(const std::vector<config::provider_config>& running,
                             const std::vector<config::provider_config>& next) {
  std::unordered_map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < running.size(); ++i) by_name.emplace(running[i].name, i);
  provider_plan plan;
  std::vector<bool> continued(running.size(), false);
  for (const auto& p : next) {
    auto it = by_name.find(p.name);
    if (it == by_name.end()) {
      plan.changes.push_back(provider_change::added);
      plan.running.push_back(std::nullopt);
      continue;
    }
    const std::size_t old = it->second;
    plan.running.push_back(old);
    if (same_upstream(running[old], p)) {
      plan.changes.push_back(provider_change::kept);
      continued[old] = true;
    } else {
      plan.changes.push_back(provider_change::replaced);
    }
  }
  std::vector<bool> named(running.size(), false);
  for (const auto& r : plan.running)
    if (r) named[*r] = true;
  for (std::size_t i = 0; i < running.size(); ++i) {
    if (!continued[i]) plan.retired.push_back(i);
    if (!named[i]) plan.removed.push_back(i);
  }
  return plan;
}

std::vector<std::string> describe(const provider_plan& plan,
                                  const std::vector<config::provider_config>& running,
                                  const std::vector<config::provider_config>& next) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < next.size() && i < plan.changes.size(); ++i) {
    switch (plan.changes[i]) {
      case provider_change::added:
        out.push_back(quoted(next[i].name) + " added");
        break;
      case provider_change::replaced: {
        const auto& was = running.at(*plan.running[i]);
        const bool moved = was.type != next[i].type || was.base_url != next[i].base_url ||
                           !(was.mock == next[i].mock);
        out.push_back(quoted(next[i].name) +
                      (moved ? " has a new upstream: new requests go there"
                             : " has new health settings: new requests use a fresh actor") +
                      ", its health and counters start over");
        break;
      }
      case provider_change::kept:
        if (!same_settings(running.at(*plan.running[i]), next[i]))
          out.push_back(quoted(next[i].name) + " changed in place for new requests");
        break;
    }
  }
  for (auto i : plan.removed)
    out.push_back(quoted(running.at(i).name) +
                  " removed: no new requests; those in flight finish on it");
  return out;
}

std::shared_ptr<provider_stats> make_provider_stats(const config::provider_config& p) {
  auto s = std::make_shared<provider_stats>();
  s->name = p.name;
  s->limit = p.max_in_flight;  // before any provider actor runs: the fast path reads it
  s->health.configure(p);
  return s;
}

}  // namespace switchyard::actors

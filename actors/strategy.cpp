// Routing strategies (see strategy.hpp).
#include "actors/strategy.hpp"

#include <algorithm>
#include <cmath>

namespace switchyard::actors {

candidate make_candidate(const route_target& target, std::uint32_t prompt_tokens,
                         std::optional<std::uint32_t> max_tokens) {
  candidate c;
  c.target = &target;
  const auto& t = *target.target;
  const double out = max_tokens ? *max_tokens : default_completion_estimate;
  c.price_usd = (t.input_usd_per_mtok * prompt_tokens + t.output_usd_per_mtok * out) / 1e6;
  c.weight = t.weight;
  if (target.stats) {
    c.ttft_ms = target.stats->latency.ttft_ms();
    c.tokens_per_s = target.stats->latency.tokens_per_s();
    c.in_flight = target.stats->in_flight.load(std::memory_order_relaxed);
    c.limit = target.stats->limit.load(std::memory_order_relaxed);
  }
  return c;
}

namespace {

// Sorts by `key` (lower first); targets for which `known` is false go last, in configured order.
template <class Key, class Known>
void sort_known_first(std::vector<candidate>& c, Key key, Known known) {
  std::stable_sort(c.begin(), c.end(), [&](const candidate& a, const candidate& b) {
    const bool ka = known(a);
    const bool kb = known(b);
    if (ka != kb) return ka;
    return ka && key(a) < key(b);
  });
}

// Efraimidis–Spirakis: sorting by u^(1/w) descending draws targets without replacement with
// probability proportional to weight.
void weighted_order(std::vector<candidate>& c, const uniform_source& random) {
  std::vector<std::pair<double, candidate>> keyed;
  keyed.reserve(c.size());
  for (const auto& x : c) {
    const double u = std::clamp(random(), 1e-12, 1.0);
    keyed.emplace_back(std::pow(u, 1.0 / std::max(x.weight, 1e-9)), x);
  }
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = keyed[i].second;
}

void latency_order(std::vector<candidate>& c, const uniform_source& random) {
  // Unmeasured targets sort first (key 0): each is tried until it has an estimate.
  std::stable_sort(c.begin(), c.end(),
                   [](const candidate& a, const candidate& b) { return a.ttft_ms < b.ttft_ms; });
  if (c.size() < 2 || random() >= latency_exploration) return;
  // Explore: one of the others, chosen uniformly, goes first; the rest keep their order.
  const auto others = static_cast<double>(c.size() - 1);
  const auto pick = 1 + std::min(c.size() - 2, static_cast<std::size_t>(random() * others));
  std::rotate(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(pick),
              c.begin() + static_cast<std::ptrdiff_t>(pick) + 1);
}

double busy_fraction(const candidate& c) {
  return c.limit == 0 ? 1.0 : static_cast<double>(c.in_flight) / c.limit;
}

}  // namespace

void order_candidates(std::vector<candidate>& c, config::routing_strategy strategy,
                      protocols::provider_sort sort, const uniform_source& random) {
  using protocols::provider_sort;
  switch (sort) {
    case provider_sort::price:
      strategy = config::routing_strategy::cost;
      break;
    case provider_sort::latency:
      return sort_known_first(
          c, [](const candidate& x) { return x.ttft_ms; },
          [](const candidate& x) { return x.ttft_ms > 0; });
    case provider_sort::throughput:
      return sort_known_first(
          c, [](const candidate& x) { return -x.tokens_per_s; },
          [](const candidate& x) { return x.tokens_per_s > 0; });
    case provider_sort::none:
      break;
  }
  switch (strategy) {
    case config::routing_strategy::ordered:
      return;
    case config::routing_strategy::weighted:
      return weighted_order(c, random);
    case config::routing_strategy::cost:
      std::stable_sort(c.begin(), c.end(), [](const candidate& a, const candidate& b) {
        return a.price_usd < b.price_usd;
      });
      return;
    case config::routing_strategy::latency:
      return latency_order(c, random);
    case config::routing_strategy::least_busy:
      std::stable_sort(c.begin(), c.end(), [](const candidate& a, const candidate& b) {
        return busy_fraction(a) < busy_fraction(b);
      });
      return;
  }
}

}  // namespace switchyard::actors

// Routing strategies: the order in which one model's eligible targets are tried. Pure functions
// over a snapshot of each target's figures (prices, EWMAs, in-flight counts), with the randomness
// injected so that tests are deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "actors/routing_table.hpp"
#include "config/config.hpp"
#include "protocols/routing_controls.hpp"

namespace switchyard::actors {

/// One target and the figures the strategies read, taken once per request.
struct candidate {
  const route_target* target = nullptr;
  double price_usd = 0;     ///< this request's estimated cost on the target
  double ttft_ms = 0;       ///< EWMA of time to first token; 0 = no sample yet
  double tokens_per_s = 0;  ///< EWMA of stream throughput; 0 = no sample yet
  std::uint32_t in_flight = 0;
  std::uint32_t limit = 0;  ///< the provider's max_in_flight
  double weight = 1;        ///< `weight` (strategy weighted)
};

/// Uniform random numbers in [0, 1).
using uniform_source = std::function<double()>;

/// Share of `latency` requests that try a random target first, so every estimate stays fresh.
inline constexpr double latency_exploration = 0.05;

/// Output tokens assumed for a request without `max_tokens` when estimating its price.
inline constexpr std::uint32_t default_completion_estimate = 256;

/// `target`'s candidate for a request of `prompt_tokens` and at most `max_tokens` output tokens,
/// with the live figures read from its provider's stats now.
candidate make_candidate(const route_target& target, std::uint32_t prompt_tokens,
                         std::optional<std::uint32_t> max_tokens);

/// Orders `c` (best first). A request's `sort` (price: cheapest; latency: lowest time to first
/// token; throughput: most tokens per second; targets without a sample last) replaces the
/// model's `strategy`:
/// - ordered: as configured;
/// - weighted: a random order where each target comes first in proportion to its weight;
/// - cost: cheapest first (ties in configured order);
/// - latency: targets without a sample first (each gets measured), then lowest time to first
///   token; with probability `latency_exploration` a random other target goes first;
/// - least-busy: lowest in_flight / limit first (ties in configured order).
void order_candidates(std::vector<candidate>& c, config::routing_strategy strategy,
                      protocols::provider_sort sort, const uniform_source& random);

}  // namespace switchyard::actors

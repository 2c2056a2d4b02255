// Live figures of one provider actor, written by the actor and read by the metrics exporter
// without a mailbox round trip.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "actors/latency_estimate.hpp"
#include "actors/provider_health.hpp"

namespace switchyard::actors {

/// Per-provider counters and gauges. The provider actor is the only writer (except `health`).
struct provider_stats {
  std::string name;
  std::atomic<std::uint32_t> in_flight{0};
  std::atomic<std::uint32_t> queued{0};
  std::atomic<std::uint32_t> limit{0};
  std::atomic<std::uint64_t> admitted_total{0};
  std::atomic<std::uint64_t> rejected_total{0};       ///< answered `overloaded`
  std::atomic<std::uint64_t> queue_timeouts_total{0};
  std::atomic<std::uint64_t> restarts_total{0};       ///< written by the provider supervisor
  latency_estimate latency;  ///< written by request actors (the one exception), read by the router
  /// Circuit, cooldown, retry budget, hedge tokens and TTFB estimate: written by the request
  /// actors that use the provider (see actors/provider_health.hpp), read by router and metrics.
  provider_health health;
  /// Messages waiting in the actor's mailbox, sampled by the actor as it takes each message
  /// (CAF 0.17's mailbox size is only safe to read from the actor itself).
  std::atomic<std::uint32_t> mailbox_depth{0};
  /// Provider actors of this provider alive: 1, 0 between a crash and its restart.
  std::atomic<std::uint32_t> alive{0};
};

}  // namespace switchyard::actors

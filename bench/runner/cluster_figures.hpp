// What the cluster scenario reports beside throughput and latency: the Redis round trips of
// every node (from /metrics) and the gateway CPU each completed request cost, per request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace switchyard::bench {

/// The sum of `switchyard_counters_operations_total` (every Redis round trip of a node) in a
/// Prometheus text exposition; 0 when the node reports none.
double counters_operations(std::string_view metrics);

/// One report line: Redis round trips during a load and per completed request.
std::string counters_line(double operations, std::uint64_t completed);

/// One report line: CPU seconds the gateway processes used during a load, and completed
/// requests per CPU-second (on a shared machine a steadier figure than requests per second).
std::string cpu_line(double cpu_seconds, std::uint64_t completed);

}  // namespace switchyard::bench

// Configuration of the systems under test, generated from a scenario: Switchyard's YAML, nginx
// as a reverse proxy (with backups for failover) or as a load balancer, and Portkey's headers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/runner/scenario.hpp"

namespace switchyard::bench {

/// The key every generated tenant accepts.
inline constexpr const char* bench_key = "sk-bench";
/// The model name clients ask the gateways for (the mocks accept any).
inline constexpr const char* bench_model = "bench";

/// Where the nodes of a cluster keep their shared state (`gateway.shared_state`).
struct shared_urls {
  std::string counters;  ///< redis://…
  std::string storage;   ///< postgres://…
};

/// Switchyard's configuration: one openai-compatible provider per mock (in order, as the
/// model's targets), tenant `bench` with key `sk-bench`, the scenario's `gateway` sections merged
/// in, then the system's own `server` overrides. `node` picks a distinct storage file for each of
/// several nodes, and each node has its own `server.spool_dir` (`work_dir`/spool-N); with
/// `shared`, every node uses its counters and storage instead, with `cluster.node_id: node-N`.
std::string switchyard_config(const scenario& s, const std::vector<std::uint16_t>& mock_ports,
                              const std::string& work_dir, unsigned node = 0,
                              const YAML::Node& system_server = {},
                              const shared_urls* shared = nullptr);

/// nginx in front of `upstreams`: the first is primary and the others are backups tried on
/// errors, timeouts, 429 and 5xx (`balance` = false), or all share the load round robin
/// (`balance` = true, for several gateway nodes). No logging, keep-alive both ways, no buffering.
std::string nginx_config(const std::vector<std::uint16_t>& upstreams, std::uint16_t listen_port,
                         const std::string& dir, std::uint64_t fd_limit, bool balance);

/// Headers that make Portkey's gateway forward to the mocks: one mock through its custom host,
/// several as a fallback chain in x-portkey-config.
std::vector<std::string> portkey_headers(const std::vector<std::uint16_t>& mock_ports);

}  // namespace switchyard::bench

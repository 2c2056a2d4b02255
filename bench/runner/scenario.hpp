// A benchmark scenario (bench/scenarios/*.yaml): the mock upstreams and their timed phases, the
// systems under test, the gateway's configuration, and the loads. Parsed strictly: an unknown key
// or a bad value is an error naming the file, line, column and key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "protocols/result.hpp"

namespace switchyard::bench {

/// How long a mock waits before the first byte (see the mock's --latency and --tail).
struct latency_spec {
  bool lognormal = false;
  double ms = 0;     ///< fixed wait, or the lognormal's median
  double sigma = 0;  ///< lognormal shape
  double tail_share = 0;
  std::uint32_t tail_ms = 0;
};

/// One entry of an error mix: this share of the requests gets this fault.
struct error_share {
  std::string kind = "status";  ///< status, reset, cut, hang
  unsigned status = 500;
  std::optional<std::uint32_t> retry_after_s;
  std::optional<bool> stream;  ///< only streaming (true) or non-streaming (false) requests
  double share = 0;
};

/// A window of a mock's timeline, in seconds from the start of each load (warm-up included).
struct phase_spec {
  double from_s = 0;
  double to_s = 0;
  bool down = false;                        ///< the mock stops listening and drops connections
  std::optional<unsigned> status;           ///< every request answers this status
  std::vector<error_share> errors;          ///< or an error mix for the window
  std::optional<latency_spec> latency;      ///< or another latency
  std::optional<double> tokens_per_second;  ///< or another token rate
  std::string label;                        ///< for the plots, e.g. "primary down"
};

/// One mock upstream.
struct mock_spec {
  std::string name;
  unsigned threads = 1;
  latency_spec latency;
  std::uint32_t ttft_ms = 0;
  double tokens_per_second = 0;
  std::uint32_t reply_tokens = 16;
  std::uint32_t max_concurrency = 0;
  std::vector<error_share> errors;
  std::vector<phase_spec> phases;
};

/// What kind of system a load is sent to.
enum class system_kind { direct, nginx, switchyard, portkey, external };

/// One system under test.
struct system_spec {
  std::string name;
  system_kind kind = system_kind::direct;
  // external only:
  std::string base_url;
  std::string model;
  std::string api_key_env;
  std::vector<std::string> headers;  ///< "Name: value"
  // switchyard only: merged into `server:` after the scenario's `gateway.server`
  // (`switchyard-metrics-off` is Switchyard with `metrics: false`, to measure the exporter's cost).
  YAML::Node server;
  /// switchyard only: nodes behind the balancer, instead of `gateway.nodes`
  /// (`switchyard-one-node` is one node: the baseline a cluster is compared with).
  std::optional<unsigned> nodes;
};

/// One load: open loop (`rate`) or closed loop (`closed`).
struct load_spec {
  std::string name;
  std::optional<double> rate;
  std::optional<unsigned> closed;
  std::string arrival = "constant";
  double duration_s = 10;
  double warmup_s = 0;
  double stream_share = 0;
  unsigned max_tokens = 16;
  bool include_usage = true;
  unsigned connections = 512;
  unsigned threads = 1;
  unsigned timeout_ms = 60000;
  std::string prompt_bytes = "200";
  /// The name of an earlier load this one follows at once on each system (no other system's
  /// load in between), to show what that load left behind (a backlog, a tripped breaker).
  std::string right_after;

  /// In-flight requests the load may reach (the closed-loop workers, or the open loop's
  /// connections), for the descriptor budget.
  unsigned max_in_flight() const { return closed ? *closed : connections; }
};

/// A later issue's feature that the scenario needs from the gateway.
struct requirement {
  int issue = 0;
  std::string feature;
};

/// Switchyard's part of the scenario: YAML merged into the generated configuration.
struct gateway_spec {
  YAML::Node server;    ///< merged into `server:`
  YAML::Node provider;  ///< merged into every provider entry
  YAML::Node model;     ///< merged into the model entry
  YAML::Node tenant;    ///< merged into the tenant entry
  YAML::Node top;       ///< merged at the top level (new sections)
  unsigned nodes = 1;   ///< more than one: N gateways behind an nginx load balancer
  /// A private Redis and PostgreSQL per system: `counters:` and `storage:` point at them, each
  /// node gets its `cluster.node_id` and `server.spool_dir`.
  bool shared_state = false;
  /// CPUs the gateway nodes are pinned to (`taskset -c` list, e.g. "1"); empty: not pinned.
  std::string cpus;
};

/// Resident-memory measurement of the systems during the loads.
struct memory_spec {
  bool enabled = false;
  std::optional<double> max_bytes_per_stream;  ///< the target the report checks
};

struct scenario {
  std::string name;
  std::string description;
  std::string path;
  std::vector<requirement> requires_features;
  std::vector<system_spec> systems;
  std::vector<mock_spec> mocks;
  gateway_spec gateway;
  std::vector<load_spec> loads;
  memory_spec memory;

  /// True when some system is Switchyard (so the gateway configuration matters).
  bool uses_switchyard() const;
  /// The longest load's duration, warm-up included.
  double longest_load_s() const;
};

/// Parses scenario YAML. `file` names it in errors; `name` defaults from it.
protocols::result<scenario, std::string> parse_scenario(std::string_view text,
                                                        std::string_view file);

/// Reads and parses a scenario file.
protocols::result<scenario, std::string> load_scenario(const std::string& path);

/// The name of a system kind as written in scenarios.
std::string_view to_string(system_kind k);

/// The mock's command-line arguments for `m` (after --listen).
std::vector<std::string> mock_arguments(const mock_spec& m);

/// Fault rules (JSON) that give each entry of `mix` its share of all requests: the mock tries
/// rules in order, so rule i fires with share_i / (1 - the shares before it).
std::vector<std::string> error_mix_rules(const std::vector<error_share>& mix);

/// A phase as the mock's --phase JSON.
std::string phase_json(const phase_spec& p);

/// One line describing the load, e.g. "open loop, 200 req/s (constant) for 10 s after 2 s
/// warm-up, 30% streams".
std::string describe(const load_spec& l);

/// One line describing the mock, e.g. "lognormal latency, median 20 ms, sigma 0.3".
std::string describe(const mock_spec& m);

}  // namespace switchyard::bench

// The cluster fixture: N switchyard nodes (each its own port, node id, spool directory) sharing
// one storage URL and one counters URL, with the same providers, models and tenant, behind an
// nginx load balancer, and a mock provider upstream. Any node can be killed and restarted on the
// same port and spool. Redis and PostgreSQL are started by the test (redis_server,
// postgres_server) and handed in as URLs, so the fixture also runs a cluster of nodes with their
// own counters and SQLite files (`counters: memory`), the single-node setup.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"
#include "nginx_balancer.hpp"

namespace switchyard::ctest {

/// The model every node serves, and the price that makes every token cost 0.001 USD.
inline constexpr std::string_view cluster_model = "chat";

struct cluster_options {
  unsigned nodes = 3;
  /// Shared state: `counters:` and `storage:` URLs. Empty: `counters: memory` and a SQLite file
  /// per node (then no `cluster:` section and no spool directory are written).
  std::string counters_url;
  std::string storage_url;
  /// Lines under the `itest` tenant, indented by 4 ("    budget: { usd: 1, period: daily }\n").
  std::string tenant_settings;
  /// Extra keys of the `cluster:` section, as YAML flow members ("on_counters_down: {…}").
  std::string cluster_settings;
  std::uint32_t lease_ttl_ms = 3000;
  itest::mock_options mock = itest::mock_options().reply_tokens(16);

  bool shared() const { return !counters_url.empty(); }
};

/// One gateway node. Its port, id, config and spool directory stay the same across restarts.
class node {
 public:
  node(std::string id, std::uint16_t port, std::filesystem::path config,
       std::filesystem::path stderr_file);
  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  const std::string& id() const { return id_; }
  std::uint16_t port() const { return port_; }

  /// Starts the node; returns once it prints its listening line (on its own port).
  void start();
  /// SIGKILL: no drain, no flush: what a crashed or OOM-killed node leaves behind.
  void kill();
  /// SIGTERM: drains and flushes its usage records; returns the exit code (nullopt: it had to be
  /// killed after `grace`).
  std::optional<int> stop(itest::ms grace = std::chrono::seconds(30));
  bool running() const;
  /// `GET /metrics` of this node (throws unless 200).
  std::string metrics() const;
  /// Everything the node wrote to stderr, all runs.
  std::string log() const;

 private:
  std::string id_;
  std::uint16_t port_;
  std::filesystem::path config_;
  std::filesystem::path stderr_;
  int runs_ = 0;
  std::unique_ptr<itest::process> proc_;
};

class cluster {
 public:
  /// Starts the mock, every node, then nginx in front of them.
  cluster(const itest::temp_dir& dir, cluster_options options);
  ~cluster();

  /// The load balancer's port: where clients go.
  std::uint16_t port() const { return balancer_->port(); }
  std::size_t size() const { return nodes_.size(); }
  node& at(std::size_t i) { return *nodes_.at(i); }
  itest::mock_provider& mock() { return *mock_; }
  nginx_balancer& balancer() { return *balancer_; }
  const cluster_options& options() const { return options_; }

  /// Stops every running node with SIGTERM (each drains and flushes its records).
  void stop_nodes();

 private:
  const itest::temp_dir& dir_;
  cluster_options options_;
  std::unique_ptr<itest::mock_provider> mock_;
  std::vector<std::unique_ptr<node>> nodes_;
  std::unique_ptr<nginx_balancer> balancer_;
};

/// The config of node `index` ("node-<index>") listening on `port`: its spool under `dir`, the
/// upstream at `mock_url`.
std::string node_config(const cluster_options& options, std::size_t index, std::uint16_t port,
                        const std::filesystem::path& dir, const std::string& mock_url);

/// A chat request for the cluster's model, `max_tokens` 16.
std::string cluster_request();

}  // namespace switchyard::ctest

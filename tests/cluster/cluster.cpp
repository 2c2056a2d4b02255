// The cluster fixture: node configs, node lifecycle, and the order things start and stop in.
#include "cluster.hpp"

#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace switchyard::ctest {

namespace fs = std::filesystem;
using namespace itest;

// ---------------------------------------------------------------------------------------------
// node

node::node(std::string id, std::uint16_t port, fs::path config, fs::path stderr_file)
    : id_(std::move(id)),
      port_(port),
      config_(std::move(config)),
      stderr_(std::move(stderr_file)) {}

node::~node() = default;

void node::start() {
  if (proc_ && proc_->running()) throw std::logic_error("node " + id_ + " is already running");
  // Each run logs to its own file: a restarted node's log must not truncate the crashed one's.
  auto log = stderr_;
  log += "." + std::to_string(++runs_);
  proc_ = std::make_unique<process>(
      id_, std::vector<std::string>{SWITCHYARD_BINARY, "--config", config_.string()}, log);
  const auto line = proc_->first_line(std::chrono::seconds(30));
  const auto port = parse_listen_line(line, "switchyard listening on ");
  if (port != port_)
    throw std::runtime_error("node " + id_ + " listens on " + std::to_string(port) +
                             ", configured " + std::to_string(port_));
}

void node::kill() {
  if (!proc_) return;
  proc_->signal(SIGKILL);
  if (!proc_->wait_exit(std::chrono::seconds(10)))
    throw std::runtime_error("node " + id_ + " survived SIGKILL");
}

std::optional<int> node::stop(ms grace) {
  if (!proc_) return 0;
  proc_->signal(SIGTERM);
  auto code = proc_->wait_exit(grace);
  if (!code) proc_->stop(std::chrono::seconds(1));
  return code;
}

bool node::running() const {
  return proc_ && proc_->running();
}

std::string node::metrics() const {
  auto r = get(port_, "/metrics");
  if (r.status != 200)
    throw std::runtime_error("node " + id_ + " /metrics: " + std::to_string(r.status));
  return r.body;
}

std::string node::log() const {
  std::string all;
  for (int run = 1; run <= runs_; ++run) {
    auto path = stderr_;
    path += "." + std::to_string(run);
    std::ifstream in(path);
    std::ostringstream ss;
    ss << in.rdbuf();
    all += "--- " + id_ + " run " + std::to_string(run) + "\n" + ss.str();
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// cluster

std::string cluster_request() {
  return chat_body(cluster_model, false, R"("max_tokens":16)");
}

std::string node_config(const cluster_options& options, std::size_t index, std::uint16_t port,
                        const fs::path& dir, const std::string& mock_url) {
  const auto id = "node-" + std::to_string(index);
  std::ostringstream y;
  y << "# cluster node " << id << ", written by tests/cluster\n"
    << "server:\n"
    << "  listen: 127.0.0.1:" << port << "\n"
    << "  io_threads: 1\n"
    << "  actor_threads: 1\n"
    << "  drain_timeout_ms: 10000\n";
  if (options.shared()) {
    y << "  spool_dir: " << (dir / ("spool-" + id)).string() << "\n"
      << "storage: " << options.storage_url << "\n"
      << "counters: " << options.counters_url << "\n"
      << "cluster: { node_id: " << id << ", lease_ttl_ms: " << options.lease_ttl_ms
      << (options.cluster_settings.empty() ? "" : ", " + options.cluster_settings) << " }\n";
  } else {
    // A directory per node: the usage journal defaults to `spool` next to the SQLite file, and a
    // journal directory takes one gateway only.
    y << "storage: sqlite://" << (dir / id / "switchyard.db").string() << "\n"
      << "counters: memory\n";
  }
  y << "providers:\n"
    << "  - name: up\n"
    << "    type: openai-compatible\n"
    << "    base_url: " << mock_url << "\n"
    << "    api_key: sk-upstream-ctest\n"
    << "    max_in_flight: 256\n"
    << "    max_queue: 256\n"
    << "    connect_timeout_ms: 1000\n"
    << "    total_timeout_ms: 30000\n"
    << "models:\n"
    << "  - name: " << cluster_model << "\n"
    << "    targets:\n"
    // 1000 USD per million tokens: every token costs 0.001, a 3 + 16 token answer 0.019.
    << "      - { provider: up, model: mock-gpt, input_usd_per_mtok: 1000, "
       "output_usd_per_mtok: 1000 }\n"
    << "tenants:\n"
    << "  - name: itest\n"
    << options.tenant_settings << "    keys:\n"
    << "      - \"" << test_key << "\"\n";
  return y.str();
}

cluster::cluster(const temp_dir& dir, cluster_options options)
    : dir_(dir), options_(std::move(options)) {
  if (options_.nodes == 0) throw std::invalid_argument("a cluster needs at least one node");
  if (options_.shared() != !options_.storage_url.empty())
    throw std::invalid_argument("shared counters and shared storage go together");
  mock_ = std::make_unique<itest::mock_provider>(dir_, "up", options_.mock);
  std::vector<std::uint16_t> ports;
  for (unsigned i = 0; i < options_.nodes; ++i) {
    const auto id = "node-" + std::to_string(i);
    // A node keeps its port for life so that nginx and restarts agree on it.
    const auto port = free_loopback_port();
    const auto config =
        dir_.write(id + ".yaml", node_config(options_, i, port, dir_.path(), mock_->base_url()));
    nodes_.push_back(std::make_unique<node>(id, port, config, dir_.path() / (id + ".stderr")));
    nodes_.back()->start();
    ports.push_back(port);
  }
  balancer_ = std::make_unique<nginx_balancer>(dir_, ports);
}

cluster::~cluster() {
  // The balancer first, so no client reaches a node that is stopping.
  balancer_.reset();
  for (auto& n : nodes_) n->stop(std::chrono::seconds(15));
}

void cluster::stop_nodes() {
  for (auto& n : nodes_) {
    if (!n->running()) continue;
    auto code = n->stop();
    if (code != 0)
      throw std::runtime_error("node " + n->id() + " did not stop cleanly (exit " +
                               (code ? std::to_string(*code) : std::string("none")) + "):\n" +
                               n->log());
  }
}

}  // namespace switchyard::ctest

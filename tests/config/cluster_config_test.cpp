// `cluster:`: defaults, values, bounds, and precise errors for bad input.
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {
std::string with_cluster(const std::string& lines) {
  return "counters: redis://127.0.0.1:6379\n"
         "cluster:\n" +
         lines +
         "providers:\n  - { name: demo, type: mock }\n"
         "models:\n  - name: chat\n    targets: [ { provider: demo, model: m } ]\n";
}
}  // namespace

TEST_CASE("cluster: defaults are a 3 s lease, 100 ms reports, budgets closed, rate limits open") {
  auto s = load_ok(std::string{minimal_providers} + std::string{minimal_models});
  CHECK(s->cluster.node_id.empty());  // filled in at start: hostname-pid
  CHECK(s->cluster.lease_ttl == std::chrono::milliseconds{3000});
  CHECK(s->cluster.report_interval == std::chrono::milliseconds{100});
  CHECK(s->cluster.on_counters_down.budgets == counters_down_policy::closed);
  CHECK(s->cluster.on_counters_down.rate_limits == counters_down_policy::open);
  auto empty = load_ok(with_cluster(""));
  CHECK(empty->cluster.lease_ttl == std::chrono::milliseconds{3000});
}

TEST_CASE("cluster: every key is read") {
  auto s =
      load_ok(with_cluster("  node_id: node-a\n  lease_ttl_ms: 9000\n  report_interval_ms: 250\n"
                           "  on_counters_down: { budgets: open, rate_limits: closed }\n"));
  CHECK(s->counters == "redis://127.0.0.1:6379");
  CHECK(s->cluster.node_id == "node-a");
  CHECK(s->cluster.lease_ttl == std::chrono::milliseconds{9000});
  CHECK(s->cluster.report_interval == std::chrono::milliseconds{250});
  CHECK(s->cluster.on_counters_down.budgets == counters_down_policy::open);
  CHECK(s->cluster.on_counters_down.rate_limits == counters_down_policy::closed);
  CHECK(std::string{to_string(counters_down_policy::open)} == "open");
  CHECK(std::string{to_string(counters_down_policy::closed)} == "closed");
}

TEST_CASE("cluster: bad values are refused with the key named") {
  auto unknown = load_error(with_cluster("  nodes: 3\n"));
  CHECK(unknown.key == "cluster.nodes");
  CHECK(unknown.message.find("node_id") != std::string::npos);  // lists the known keys

  auto id = load_error(with_cluster("  node_id: \"node a\"\n"));
  CHECK(id.key == "cluster.node_id");

  auto ttl = load_error(with_cluster("  lease_ttl_ms: 10\n"));
  CHECK(ttl.key == "cluster.lease_ttl_ms");
  CHECK(ttl.message.find("at least 500") != std::string::npos);

  auto huge = load_error(with_cluster("  lease_ttl_ms: 6000000\n"));
  CHECK(huge.key == "cluster.lease_ttl_ms");

  auto interval = load_error(with_cluster("  report_interval_ms: 0\n"));
  CHECK(interval.key == "cluster.report_interval_ms");

  // Reports renew the leases: a lease must outlive at least three of them.
  auto ratio = load_error(with_cluster("  lease_ttl_ms: 1000\n  report_interval_ms: 400\n"));
  CHECK(ratio.key == "cluster");
  CHECK(ratio.message.find("a third of lease_ttl_ms") != std::string::npos);

  auto policy = load_error(with_cluster("  on_counters_down: { budgets: maybe }\n"));
  CHECK(policy.key == "cluster.on_counters_down.budgets");
  CHECK(policy.message.find("closed or open") != std::string::npos);

  auto rates = load_error(with_cluster("  on_counters_down: { rate_limits: 1 }\n"));
  CHECK(rates.key == "cluster.on_counters_down.rate_limits");

  auto shape = load_error(with_cluster("  on_counters_down: closed\n"));
  CHECK(shape.key == "cluster.on_counters_down");
}

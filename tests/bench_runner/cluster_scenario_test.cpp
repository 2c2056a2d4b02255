// The cluster scenario's pieces: one node against N, shared state, CPU pinning, the node
// configs that point at Redis and PostgreSQL, and the Redis round trips read from /metrics.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "bench/runner/cluster_figures.hpp"
#include "bench/runner/configs.hpp"
#include "bench/runner/scenario.hpp"

using namespace switchyard::bench;

namespace {

constexpr const char* cluster_yaml = R"(systems: [switchyard-one-node, switchyard]
mocks: [{name: m}]
gateway:
  nodes: 3
  shared_state: true
  cpus: "1"
  top: { cluster: { lease_ttl_ms: 3000 } }
loads: [{name: l, closed: 2}]
)";

}  // namespace

TEST_CASE("cluster scenario: one node against the scenario's nodes, shared state, pinned CPUs") {
  auto sc = parse_scenario(cluster_yaml, "c.yaml");
  INFO((sc.ok() ? std::string() : sc.error()));
  REQUIRE(sc.ok());
  const auto& s = sc.value();
  REQUIRE(s.systems.size() == 2);
  CHECK(s.systems[0].kind == system_kind::switchyard);
  CHECK(s.systems[0].nodes == 1u);
  CHECK_FALSE(s.systems[1].nodes);  // the scenario's gateway.nodes
  CHECK(s.gateway.nodes == 3);
  CHECK(s.gateway.shared_state);
  CHECK(s.gateway.cpus == "1");
}

TEST_CASE("cluster scenario: a CPU list taskset would not take is refused with its key") {
  for (const char* bad : {"\"\"", "\"a\"", "\"1,\"", "\"-1\"", "\"0 1\""}) {
    std::string y = cluster_yaml;
    y.replace(y.find("\"1\""), 3, bad);
    auto sc = parse_scenario(y, "c.yaml");
    INFO(bad);
    REQUIRE_FALSE(sc.ok());
    CHECK(sc.error().find("gateway.cpus") != std::string::npos);
  }
  std::string y = cluster_yaml;
  y.replace(y.find("shared_state: true"), 18, "shared_state: maybe");
  auto sc = parse_scenario(y, "c.yaml");
  REQUIRE_FALSE(sc.ok());
  CHECK(sc.error().find("gateway.shared_state") != std::string::npos);
}

TEST_CASE("cluster scenario: each node shares the URLs and has its own id and spool") {
  auto sc = parse_scenario(cluster_yaml, "c.yaml");
  REQUIRE(sc.ok());
  const shared_urls urls{"redis://127.0.0.1:7000",
                         "postgres://switchyard@127.0.0.1:7001/switchyard"};
  auto n0 = YAML::Load(switchyard_config(sc.value(), {1111}, "/w", 0, {}, &urls));
  auto n2 = YAML::Load(switchyard_config(sc.value(), {1111}, "/w", 2, {}, &urls));
  for (auto* y : {&n0, &n2}) {
    CHECK((*y)["counters"].as<std::string>() == urls.counters);
    CHECK((*y)["storage"].as<std::string>() == urls.storage);
    CHECK((*y)["cluster"]["lease_ttl_ms"].as<int>() == 3000);  // the scenario's settings stay
  }
  CHECK(n0["cluster"]["node_id"].as<std::string>() == "node-0");
  CHECK(n2["cluster"]["node_id"].as<std::string>() == "node-2");
  CHECK(n0["server"]["spool_dir"].as<std::string>() == "/w/spool-0");
  CHECK(n2["server"]["spool_dir"].as<std::string>() == "/w/spool-2");
  // Without shared state: a SQLite file per node, no node id.
  auto alone = YAML::Load(switchyard_config(sc.value(), {1111}, "/w", 1));
  CHECK(alone["storage"].as<std::string>() == "sqlite:///w/switchyard-1.db");
  CHECK(alone["counters"].as<std::string>() == "memory");
  CHECK_FALSE(alone["cluster"]["node_id"]);
}

TEST_CASE("cluster scenario: Redis round trips summed over every op, CPU per request") {
  const std::string metrics =
      "# TYPE switchyard_counters_operations_total counter\n"
      "switchyard_counters_operations_total{op=\"lease\"} 40\n"
      "switchyard_counters_operations_total{op=\"window\"} 2\n"
      "switchyard_counters_operations_totals{op=\"x\"} 1000\n"
      "switchyard_counters_up 1\n";
  CHECK(counters_operations(metrics) == 42);
  CHECK(counters_operations("switchyard_counters_up 1\n") == 0);
  CHECK(counters_line(42, 4200) == "Redis round trips: 42, 0.0100 per completed request");
  CHECK(counters_line(3, 0) == "Redis round trips: 3 (no request completed)");
  CHECK(cpu_line(2.5, 10000) == "gateway CPU: 2.50 s, 4000 completed requests per CPU-second");
  CHECK(cpu_line(-1, 10000) == "gateway CPU: not measured");
}

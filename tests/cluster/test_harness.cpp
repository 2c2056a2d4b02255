// The cluster harness itself, on nodes with their own counters and SQLite files (no Redis, no
// PostgreSQL): nginx spreads clients over the nodes, skips a killed one, and takes a restarted
// one back on the same port.
#include <catch2/catch.hpp>

#include <set>

#include "client_load.hpp"
#include "cluster.hpp"
#include "probes.hpp"

using namespace switchyard::itest;
using namespace switchyard::ctest;

namespace {

double itest_requests(node& n) {
  return metric_sum(n.metrics(), "switchyard_tenant_requests_total", R"(tenant="itest")");
}

}  // namespace

TEST_CASE("harness: nginx spreads requests over the nodes, skips a killed one, takes it back") {
  temp_dir dir;
  cluster c(dir, cluster_options{});
  REQUIRE(c.size() == 3);

  for (int i = 0; i < 30; ++i) {
    auto r = post_json(c.port(), "/v1/chat/completions", cluster_request(), test_key);
    REQUIRE(r.status == 200);
    REQUIRE(!r.header("x-request-id").empty());
  }
  // Round robin: every node served its share.
  for (std::size_t i = 0; i < c.size(); ++i) {
    INFO(c.at(i).id());
    CHECK(itest_requests(c.at(i)) >= 5);
  }

  c.at(1).kill();
  REQUIRE_FALSE(can_connect(c.at(1).port()));
  // A refused connection moves to the next node: no client sees the dead one.
  for (int i = 0; i < 30; ++i) {
    auto r = post_json(c.port(), "/v1/chat/completions", cluster_request(), test_key);
    INFO(r.body << "\n" << c.balancer().error_log());
    REQUIRE(r.status == 200);
  }
  CHECK(c.balancer().error_log().find("connect() failed") != std::string::npos);

  c.at(1).start();  // same port, same config
  REQUIRE(itest_requests(c.at(1)) == 0);
  // nginx tries it again after fail_timeout (2 s).
  CHECK(eventually(
      [&] {
        post_json(c.port(), "/v1/chat/completions", cluster_request(), test_key);
        return itest_requests(c.at(1)) > 0;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(100)));
  c.stop_nodes();
}

TEST_CASE("harness: each node has its own id, port and spool, and the same shared URLs") {
  const std::filesystem::path dir = "/tmp/ctest-configs";
  const std::string mock = "http://127.0.0.1:9/v1";
  cluster_options local;
  const auto alone = node_config(local, 0, 4242, dir, mock);
  CHECK(alone.find("listen: 127.0.0.1:4242\n") != std::string::npos);
  CHECK(alone.find("counters: memory\n") != std::string::npos);
  CHECK(alone.find("storage: sqlite:///tmp/ctest-configs/node-0/switchyard.db\n") !=
        std::string::npos);
  CHECK(alone.find("cluster:") == std::string::npos);
  CHECK(alone.find("spool_dir") == std::string::npos);

  cluster_options shared;
  shared.counters_url = "redis://127.0.0.1:1";
  shared.storage_url = "postgres://switchyard@127.0.0.1:2/switchyard";
  shared.lease_ttl_ms = 1500;
  shared.cluster_settings = "on_counters_down: { budgets: closed, rate_limits: open }";
  shared.tenant_settings = "    rpm: 600\n";
  const auto n0 = node_config(shared, 0, 4242, dir, mock);
  const auto n2 = node_config(shared, 2, 4343, dir, mock);
  for (const auto* cfg : {&n0, &n2}) {
    CHECK(cfg->find("counters: redis://127.0.0.1:1\n") != std::string::npos);
    CHECK(cfg->find("storage: postgres://switchyard@127.0.0.1:2/switchyard\n") !=
          std::string::npos);
    CHECK(cfg->find("lease_ttl_ms: 1500, on_counters_down: { budgets: closed, rate_limits: open "
                    "} }\n") != std::string::npos);
    CHECK(cfg->find("    rpm: 600\n    keys:\n") != std::string::npos);
    CHECK(cfg->find("base_url: http://127.0.0.1:9/v1\n") != std::string::npos);
  }
  CHECK(n0.find("cluster: { node_id: node-0,") != std::string::npos);
  CHECK(n2.find("cluster: { node_id: node-2,") != std::string::npos);
  CHECK(n0.find("spool_dir: /tmp/ctest-configs/spool-node-0\n") != std::string::npos);
  CHECK(n2.find("spool_dir: /tmp/ctest-configs/spool-node-2\n") != std::string::npos);
  CHECK(n2.find("listen: 127.0.0.1:4343\n") != std::string::npos);

  // Shared counters with per-node storage (or the reverse) is a cluster that overspends.
  temp_dir tmp;
  cluster_options half = shared;
  half.storage_url.clear();
  CHECK_THROWS_AS(cluster(tmp, half), std::invalid_argument);
}

TEST_CASE("harness: the metric reader sums the samples of one family and label set") {
  const std::string text =
      "# TYPE switchyard_counters_operations_total counter\n"
      "switchyard_counters_operations_total{op=\"lease\"} 12\n"
      "switchyard_counters_operations_total{op=\"window\"} 3.5\n"
      "switchyard_counters_operations_total_extra{op=\"lease\"} 100\n"
      "switchyard_tenant_requests_total{status_class=\"2xx\",tenant=\"itest\"} 7\n"
      "switchyard_tenant_requests_total{status_class=\"4xx\",tenant=\"itest\"} 2\n"
      "switchyard_tenant_requests_total{status_class=\"2xx\",tenant=\"other\"} 5\n"
      "switchyard_counters_up 1\n";
  CHECK(metric_sum(text, "switchyard_counters_operations_total") == Approx(15.5));
  CHECK(metric_sum(text, "switchyard_counters_operations_total", R"(op="lease")") == 12);
  CHECK(metric_sum(text, "switchyard_counters_up") == 1);
  CHECK(metric_sum(text, "switchyard_tenant_requests_total",
                   R"(tenant="itest",status_class="2xx")") == 7);
  CHECK(metric_sum(text, "switchyard_tenant_requests_total", R"(tenant="itest")") == 9);
  CHECK(metric_sum(text, "switchyard_counters_down") == 0);
  CHECK(has_metric(text, "switchyard_counters_up"));
  CHECK_FALSE(has_metric(text, "switchyard_counters"));
}

TEST_CASE("harness: the client load sends at its planned rate and keeps every answer") {
  temp_dir dir;
  cluster_options o;
  o.nodes = 1;
  cluster c(dir, o);
  load_plan plan;
  plan.port = c.port();
  plan.clients = 4;
  plan.rate = 30;
  plan.duration = std::chrono::seconds(3);
  plan.body = cluster_request();
  client_load load(plan);
  load.wait();
  const auto answers = load.answers();
  INFO(status_summary(answers));
  // Exactly the 90 due in 3 s, each sent on time or (on a loaded machine) a little late.
  CHECK(answers.size() == 90);
  std::set<std::string> ids;
  for (const auto& a : answers) {
    CHECK(a.status == 200);
    CHECK(a.done >= a.sent);
    CHECK(a.sent < load.started() + plan.duration + std::chrono::seconds(1));
    ids.insert(a.request_id);
  }
  CHECK(ids.size() == answers.size());  // one distinct request id per answer
  CHECK(load.count(200) == answers.size());
  c.stop_nodes();
}

// One tenant budget spent through three nodes at once: the sum of what the nodes record never
// exceeds it, however the load balancer spreads the requests, and every answered request is
// recorded once.
#include <catch2/catch.hpp>

#include "checks.hpp"
#include "shared_backends.hpp"

using namespace switchyard::itest;
using namespace switchyard::ctest;

TEST_CASE("shared budget: three nodes never spend more than the tenant's budget together") {
  temp_dir dir;
  shared_backends shared(dir);
  auto o = shared.options();
  // 100 answers of 0.019 USD (3 prompt + 16 completion tokens at 0.001).
  const double budget = 1.9;
  o.tenant_settings = "    budget: { usd: 1.9, period: daily }\n";
  cluster c(dir, o);

  // 480 requests at 60/s through nginx: five times what the budget covers, so each node alone
  // (a third of the load) would overspend it if it counted only its own spending.
  load_plan plan;
  plan.port = c.port();
  plan.clients = 6;
  plan.rate = 60;
  plan.duration = std::chrono::seconds(8);
  plan.body = cluster_request();
  client_load load(plan);
  load.wait();
  const auto answers = load.answers();
  INFO(status_summary(answers));

  std::size_t ok = 0, refused = 0;
  for (const auto& a : answers) {
    ok += a.status == 200 ? 1 : 0;
    if (a.status == 402) {
      ++refused;
      CHECK(a.error_code == "insufficient_quota");
    }
  }
  CHECK(ok + refused == answers.size());  // nothing else: no 5xx, no lost connection
  CHECK(refused > 0);
  // Every node served a share.
  for (std::size_t i = 0; i < c.size(); ++i) {
    INFO(c.at(i).id());
    CHECK(metric_sum(c.at(i).metrics(), "switchyard_tenant_requests_total", R"(tenant="itest")") >
          10);
  }

  c.stop_nodes();  // each drains and flushes its records
  const auto stored = read_usage(shared.pg, "itest");
  INFO("recorded spend " << stored.spend_usd << " of " << budget);
  CHECK(stored.spend_usd <= budget + 1e-9);
  // Used up, not refused early: leases still held when the budget ran low were small.
  CHECK(stored.spend_usd >= budget * 0.8);
  CHECK(check_records_match_answers(stored, answers) == ok);
}

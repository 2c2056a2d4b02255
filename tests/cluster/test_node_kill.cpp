// A node killed with SIGKILL in the middle of the load: nginx moves its clients to the others,
// no completed response loses its usage record (the node, restarted on its spool, replays what
// it had not stored), and the budget lease it held returns to the pool after its TTL.
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include "checks.hpp"
#include "shared_backends.hpp"

using namespace switchyard::itest;
using namespace switchyard::ctest;

TEST_CASE("node kill: the others keep serving and no completed response loses its record") {
  temp_dir dir;
  shared_backends shared(dir);
  auto o = shared.options();
  o.tenant_settings = "    budget: { usd: 1000, period: daily }\n";  // leases, never exhausted
  o.lease_ttl_ms = 2000;
  cluster c(dir, o);

  load_plan plan;
  plan.port = c.port();
  plan.clients = 6;
  plan.rate = 30;
  plan.duration = std::chrono::seconds(12);
  plan.body = cluster_request();
  client_load load(plan);
  std::this_thread::sleep_for(std::chrono::seconds(4));
  REQUIRE(c.at(1).running());
  REQUIRE(metric_sum(c.at(1).metrics(), "switchyard_tenant_requests_total", R"(tenant="itest")") >
          0);
  const auto killed_at = steady::now();
  c.at(1).kill();
  load.wait();
  const auto answers = load.answers();
  INFO(status_summary(answers));

  std::size_t after_kill = 0, failed_after_kill = 0, failed = 0;
  for (const auto& a : answers) {
    failed += a.status != 200 ? 1 : 0;
    // Only requests the killed node had in hand may fail; everything sent later goes elsewhere.
    if (a.sent >= killed_at + std::chrono::seconds(1)) {
      ++after_kill;
      failed_after_kill += a.status != 200 ? 1 : 0;
    }
  }
  CHECK(after_kill > 150);
  CHECK(failed_after_kill == 0);
  CHECK(failed <= plan.clients);  // at most the requests in flight on the killed node

  // The killed node comes back on its spool and stores what it had not.
  c.at(1).start();
  c.stop_nodes();
  INFO(c.at(1).log());
  check_records_match_answers(read_usage(shared.pg, "itest"), answers);
}

TEST_CASE("node kill: the budget lease a killed node held returns to the pool after its TTL") {
  temp_dir dir;
  shared_backends shared(dir);
  auto o = shared.options();
  // 100 answers of 0.019 USD.
  const double budget = 1.9;
  const double answer_cost = 0.019;
  o.tenant_settings = "    budget: { usd: 1.9, period: daily }\n";
  o.lease_ttl_ms = 1500;
  cluster c(dir, o);

  // Node 1 takes a lease for its first request, then dies with the rest of it: after it has
  // reported that request's spend (every report_interval_ms, 100 by default), so that what
  // returns is exactly the unspent rest.
  auto first = post_json(c.at(1).port(), "/v1/chat/completions", cluster_request(), test_key);
  REQUIRE(first.status == 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto before = budget_leases(shared.redis, "itest");
  INFO("leases before the kill: " << before.size());
  REQUIRE(before.count("node-1") == 1);
  const double killed_lease = before.at("node-1");
  CHECK(killed_lease > 0);
  c.at(1).kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(o.lease_ttl_ms + 1500));

  // The survivors spend until both refuse: what the dead lease held is theirs again.
  std::vector<answer> answers;
  answer a0;
  a0.status = first.status;
  a0.request_id = first.header("x-request-id");
  answers.push_back(a0);
  bool refused[2] = {false, false};
  for (int i = 0; i < 400 && !(refused[0] && refused[1]); ++i) {
    const int side = i % 2;
    auto& n = c.at(side == 0 ? 0 : 2);
    auto r = post_json(n.port(), "/v1/chat/completions", cluster_request(), test_key);
    REQUIRE((r.status == 200 || r.status == 402));
    answer a;
    a.status = r.status;
    a.request_id = r.header("x-request-id");
    answers.push_back(a);
    refused[side] = r.status == 402;
  }
  REQUIRE(refused[0]);
  REQUIRE(refused[1]);
  // In Redis: the dead node's lease is gone from the pool, and what is still leased is less than
  // what it alone held (the survivors' last slices shrank as the budget ran out).
  const auto after = budget_leases(shared.redis, "itest");
  CHECK(after.count("node-1") == 0);
  double outstanding = 0;
  for (const auto& [node, usd] : after) outstanding += usd;
  CHECK(outstanding < killed_lease);

  c.at(1).start();  // replays its one record from the spool
  c.stop_nodes();
  const auto stored = read_usage(shared.pg, "itest");
  INFO("recorded spend " << stored.spend_usd << " of " << budget << "\n" << c.at(1).log());
  CHECK(stored.spend_usd <= budget + 1e-9);
  // Each survivor may stop up to one answer short (its last slice too small for a whole one);
  // without the returned lease they would have stopped short by what node 1 held on top (4
  // answers: a twentieth of the budget less its one answer).
  CHECK(stored.spend_usd >= budget - 2 * answer_cost - 1e-9);
  check_records_match_answers(stored, answers);
}

// Shared rate windows (issue #8): three gateways sharing one redis-server hold a key's rpm across
// the cluster, not per node. A key limited to 600 requests per minute, offered about twice that
// for 65 s spread over the three nodes, is served 600 ± 5% in every minute of the run (each node
// alone would serve 600: 1800 in all), every refusal says when to come back, and the nodes talk
// to Redis far less than once per request.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "checks.hpp"
#include "harness.hpp"
#include "redis_server.hpp"

using namespace switchyard::itest;

namespace {

// One series of the node's /metrics (name and labels); 0 when absent.
double series_value(std::uint16_t port, const std::string& name) {
  return metric_series(port, name).value_or(0);
}

}  // namespace

TEST_CASE("cluster rate limits: rpm 600 across three nodes holds to 5% in every minute at 2x") {
  constexpr long rpm = 600;
  constexpr int nodes = 3;
  constexpr int clients = 6;      // two per node
  constexpr auto period = 300ms;  // each client: 20 requests/s in all, twice the limit
  constexpr auto run = 65500ms;
  temp_dir shared;
  redis_server redis(shared);
  mock_provider up(shared, "up", mock_options().reply_tokens(2));
  std::vector<std::unique_ptr<temp_dir>> dirs;
  std::vector<std::unique_ptr<gateway>> gws;
  for (int n = 0; n < nodes; ++n) {
    dirs.push_back(std::make_unique<temp_dir>());
    gws.push_back(std::make_unique<gateway>(
        *dirs.back(), config_builder()
                          .provider("up", up.base_url(), {{"max_in_flight", "64"}})
                          .model("chat", {{"up", "mock-gpt"}})
                          .itest_setting("rpm", std::to_string(rpm))
                          .counters(redis.url())
                          .render(*dirs.back())));
  }
  const auto body = chat_body("chat", false, R"("max_tokens":2)");

  std::mutex mutex;
  std::vector<rate_outcome> outcomes;
  std::vector<std::string> bad;  // what a refusal lacked, or an unexpected status
  const auto start = steady::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      const auto port = gws[c % nodes]->port();
      // On a fixed schedule, staggered: a slow answer does not lower the offered rate.
      for (auto next = start + c * period / clients; next < start + run; next += period) {
        std::this_thread::sleep_until(next);
        const auto sent = std::chrono::duration_cast<ms>(steady::now() - start);
        auto r = post_json(port, "/v1/chat/completions", body, test_key);
        auto problem = rate_answer_problem(r, rpm);
        std::lock_guard<std::mutex> guard{mutex};
        outcomes.push_back({sent, r.status});
        if (!problem.empty()) bad.push_back(std::move(problem));
      }
    });
  }
  for (auto& t : threads) t.join();

  INFO("first problems: " << (bad.empty() ? std::string{"none"} : bad.front()));
  CHECK(bad.empty());
  const auto offered = static_cast<long>(outcomes.size());
  const auto served = served_in(outcomes, 0ms, ms(run) + 1s);
  INFO("offered " << offered << ", served " << served);
  // The load really was twice the limit (a starved client would make this test vacuous).
  REQUIRE(offered >= 65 * 20 * 9 / 10);
  REQUIRE(offered - served > rpm / 2);

  // Every minute of the run, in 1 s steps: within 5% of the limit across the three nodes.
  long lowest = offered, highest = 0;
  for (ms from = 0ms; from + 60s <= ms(run); from += 1s) {
    const auto n = served_in(outcomes, from, from + 60s);
    INFO("minute from " << from.count() << " ms served " << n);
    CHECK(n >= rpm * 95 / 100);
    CHECK(n <= rpm * 105 / 100);
    lowest = std::min(lowest, n);
    highest = std::max(highest, n);
  }
  double takes = 0;
  double waits = 0;
  for (auto& gw : gws) {
    takes += series_value(gw->port(), "switchyard_counters_operations_total{op=\"rate_take\"}");
    waits += series_value(gw->port(), "switchyard_counters_rate_waits_total{outcome=\"answered\"}");
    // Redis stayed up: no request fell back to a node's own window.
    CHECK(series_value(gw->port(),
                       "switchyard_counters_rate_waits_total{outcome=\"unreachable\"}") == 0);
  }
  std::printf(
      "cluster rate limits: %ld offered, %ld served over 3 nodes; per minute %ld..%ld (limit "
      "%ld); %.0f rate_take round trips, %.3f per request\n",
      offered, served, lowest, highest, rpm, takes, takes / offered);
  CHECK(waits > 0);
  CHECK(takes > 0);
  CHECK(takes / offered < 1.0);
}

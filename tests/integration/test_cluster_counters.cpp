// `counters: redis://…` with real gateways sharing one redis-server: one budget spent through
// leases by two nodes never goes over; Redis stopped → held leases are spent, then budgets answer
// 503 while rate limits stay open (or the reverse, as configured); Redis back → serving again
// without a restart; an ejection on one node reaches the other; and the Redis operations per
// request, reported.
#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <sstream>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "checks.hpp"
#include "harness.hpp"
#include "redis_server.hpp"

using namespace switchyard::itest;

namespace {

constexpr std::string_view free_key = "sk-itest-free-0123456789abcdef";

struct node_options {
  std::string redis_url;
  std::string node_id;
  std::string itest_limits;  // lines under the `itest` tenant
  std::string cluster;       // lines under `cluster:`
  std::string providers;     // the whole `providers:` section
  std::string models;        // the whole `models:` section
};

// 1000 USD per million tokens in and out: a token costs 0.001 USD.
std::string one_provider(const std::string& base_url) {
  return "providers:\n  - name: up\n    type: openai-compatible\n    base_url: " + base_url +
         "\n    api_key: sk-upstream-itest\n    max_in_flight: 256\n    max_queue: 256\n";
}
const std::string priced_model =
    "models:\n  - name: chat\n    targets:\n      - { provider: up, model: mock-gpt, "
    "input_usd_per_mtok: 1000, output_usd_per_mtok: 1000 }\n";

std::string node_config(const temp_dir& dir, const node_options& o) {
  std::string y =
      "server:\n  listen: 127.0.0.1:0\n  io_threads: 2\n  actor_threads: 2\n"
      "  drain_timeout_ms: 10000\n  log_level: info\n";
  y += "storage: sqlite://" + (dir.path() / "switchyard.db").string() + "\n";
  y += "counters: " + o.redis_url + "\n";
  y += "cluster:\n  node_id: " + o.node_id + "\n" + o.cluster;
  y += o.providers + o.models;
  y += "tenants:\n  - name: itest\n" + o.itest_limits + "    keys:\n      - \"" +
       std::string{test_key} + "\"\n";
  // A tenant under a rate limit and no budget: what `on_counters_down.rate_limits` decides.
  y += "  - name: free\n    rpm: 1000\n    keys:\n      - \"" + std::string{free_key} + "\"\n";
  return y;
}

// The USD recorded in a node's usage store for the `itest` tenant (the one with the shared
// budget), and how many of its records answered 200.
struct recorded {
  double spent = 0;
  int ok = 0;
};
recorded recorded_in(const temp_dir& dir) {
  sqlite3* db = nullptr;
  const auto path = (dir.path() / "switchyard.db").string();
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT COALESCE(SUM(cost_usd), 0), "
                             "COALESCE(SUM(status = 200), 0) FROM usage WHERE tenant = 'itest'",
                             -1, &s, nullptr) == SQLITE_OK);
  recorded r;
  if (sqlite3_step(s) == SQLITE_ROW) {
    r.spent = sqlite3_column_double(s, 0);
    r.ok = sqlite3_column_int(s, 1);
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return r;
}

// One exact series of a node's /metrics; NaN when absent.
double metric(std::uint16_t port, const std::string& series) {
  return metric_series(port, series).value_or(std::nan(""));
}

// Every Redis command the node sent, all kinds together.
double redis_operations(std::uint16_t port) {
  double total = 0;
  for (const char* op : {"acquire", "report", "release", "publish", "subscribe", "ping",
                         "script_load", "rate_take"})
    total += metric(port, std::string{"switchyard_counters_operations_total{op=\""} + op + "\"}");
  return total;
}

// The node has no reservation in flight: every request settled (and its spend is unreported
// or reported, but no longer reserved).
void wait_settled(std::uint16_t port) {
  std::string last;
  const bool settled = eventually([&] {
    auto k = get(port, "/v1/key", test_key);
    last = k.body;
    const auto doc = k.json();
    auto* reserved = json_at(doc, "data/tenant/budget/reserved");
    return reserved != nullptr && reserved->GetDouble() == 0;
  });
  INFO("GET /v1/key: " << last);
  INFO("request actors in flight: " << metric(port, "switchyard_request_actors_in_flight"));
  REQUIRE(settled);
}

const std::string small_request = chat_body("chat", false, R"("max_tokens":16)");

void stop_gateway(gateway& gw) {
  gw.proc().signal(SIGTERM);
  auto code = gw.proc().wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);
}

}  // namespace

TEST_CASE("cluster counters: two nodes sharing one budget never spend more than it") {
  temp_dir shared, dir_a, dir_b;
  redis_server redis(shared);
  mock_provider mock(shared, "up", mock_options().reply_tokens(8));
  constexpr double budget = 0.3;
  node_options o;
  o.redis_url = redis.url();
  o.itest_limits = "    budget: { usd: 0.3, period: daily }\n";
  o.providers = one_provider(mock.base_url());
  o.models = priced_model;
  o.node_id = "node-a";
  gateway a(dir_a, node_config(dir_a, o));
  o.node_id = "node-b";
  gateway b(dir_b, node_config(dir_b, o));

  // 30 concurrent clients per node; the budget covers about 15 of the 60 requests.
  std::atomic<int> ok{0}, refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 60; ++i) {
    clients.emplace_back([&, i] {
      auto r = post_json(i % 2 == 0 ? a.port() : b.port(), "/v1/chat/completions", small_request,
                         test_key, 30s);
      if (r.status == 200)
        ++ok;
      else if (r.status == 402)
        ++refused;
      else
        ++other;
    });
  }
  for (auto& t : clients) t.join();
  CHECK(other.load() == 0);
  CHECK(ok.load() >= 5);
  CHECK(refused.load() > 0);
  wait_settled(a.port());
  wait_settled(b.port());
  stop_gateway(a);  // flushes the usage records (and returns the leases)
  stop_gateway(b);
  const auto ra = recorded_in(dir_a);
  const auto rb = recorded_in(dir_b);
  INFO("node a spent " << ra.spent << ", node b spent " << rb.spent);
  CHECK(ra.spent + rb.spent <= budget + 1e-9);
  CHECK(ra.ok + rb.ok == ok.load());  // one record per successful response
  CHECK(ra.ok > 0);
  CHECK(rb.ok > 0);  // both nodes got a share of the budget
  // Redis agrees: what the nodes reported as spent is what they recorded.
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const auto base =
      "switchyard:budget:{tenant:itest:" +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count()) +
      "}";
  CHECK(std::stod(redis.query({"GET", base + ":spent"})) == Approx(ra.spent + rb.spent));
  CHECK(redis.query({"HLEN", base + ":leases"}) == "0");  // every lease returned at stop
}

TEST_CASE("cluster counters: Redis down spends held leases, then budgets 503, rate limits open") {
  temp_dir dir;
  redis_server redis(dir);
  mock_provider mock(dir, "up", mock_options().reply_tokens(8));
  node_options o;
  o.redis_url = redis.url();
  o.node_id = "solo";
  o.itest_limits = "    budget: { usd: 1, period: daily }\n";
  // A long TTL: the lease stays valid for the whole outage, so it is spent, not lapsed.
  o.cluster = "  lease_ttl_ms: 60000\n";
  o.providers = one_provider(mock.base_url());
  o.models = priced_model;
  gateway gw(dir, node_config(dir, o));
  CHECK(metric(gw.port(), "switchyard_counters_up") == 1);

  require_chat_completion(post_json(gw.port(), "/v1/chat/completions", small_request, test_key));
  wait_settled(gw.port());
  redis.stop();

  // Served from the lease it holds, then 503 naming the counters; never 402 (the budget is not
  // spent: the node just cannot tell).
  std::vector<unsigned> statuses;
  http_response refusal;
  for (int i = 0; i < 30; ++i) {
    auto r = post_json(gw.port(), "/v1/chat/completions", small_request, test_key);
    statuses.push_back(r.status);
    if (r.status != 200) {
      refusal = r;
      break;
    }
    wait_settled(gw.port());
  }
  INFO("statuses while Redis is down: " << statuses.size());
  REQUIRE(statuses.size() >= 2);
  CHECK(statuses.front() == 200);  // the held lease was used
  require_openai_error(refusal, 503, "counters_unavailable");
  CHECK(refusal.header("retry-after") == "5");
  CHECK(json_string(refusal.json(), "error/message").find("Redis") != std::string::npos);
  CHECK(json_string(refusal.json(), "error/message").find(redis.url()) == std::string::npos);

  // Rate limits fail open: the rate-limited tenant without a budget is served.
  require_chat_completion(post_json(gw.port(), "/v1/chat/completions", small_request, free_key));
  CHECK(metric(gw.port(), "switchyard_counters_up") == 0);

  // Redis back (same port and data): served again, without a restart.
  redis.start();
  CHECK(eventually(
      [&] {
        return post_json(gw.port(), "/v1/chat/completions", small_request, test_key).status == 200;
      },
      20s, 100ms));
  CHECK(metric(gw.port(), "switchyard_counters_up") == 1);
  // Spend made during the outage reached Redis once it was back.
  wait_settled(gw.port());
  stop_gateway(gw);
  const auto rec = recorded_in(dir);
  const auto day = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const auto spent_key =
      "switchyard:budget:{tenant:itest:" +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(day.time_since_epoch()).count()) +
      "}:spent";
  CHECK(std::stod(redis.query({"GET", spent_key})) == Approx(rec.spent));
}

TEST_CASE("cluster counters: budgets open and rate limits closed, as configured") {
  temp_dir dir;
  redis_server redis(dir);
  mock_provider mock(dir, "up", mock_options().reply_tokens(8));
  node_options o;
  o.redis_url = redis.url();
  o.node_id = "solo";
  o.itest_limits = "    budget: { usd: 1, period: daily }\n";
  o.cluster = "  on_counters_down: { budgets: open, rate_limits: closed }\n";
  o.providers = one_provider(mock.base_url());
  o.models = priced_model;
  gateway gw(dir, node_config(dir, o));
  redis.stop();
  REQUIRE(eventually([&] { return metric(gw.port(), "switchyard_counters_up") == 0; }));
  // No lease at all, and yet served on the node's own figures.
  for (int i = 0; i < 5; ++i)
    require_chat_completion(post_json(gw.port(), "/v1/chat/completions", small_request, test_key));
  auto limited = post_json(gw.port(), "/v1/chat/completions", small_request, free_key);
  require_openai_error(limited, 503, "counters_unavailable");
  CHECK(json_string(limited.json(), "error/message").find("rate limits") != std::string::npos);
  CHECK(limited.header("retry-after") == "5");
}

TEST_CASE("cluster counters: a provider ejected on one node is ejected on the other") {
  temp_dir shared, dir_a, dir_b;
  redis_server redis(shared);
  mock_provider flaky(shared, "flaky", mock_options().fault(R"({"kind":"status","status":503})"));
  mock_provider good(shared, "good");
  node_options o;
  o.redis_url = redis.url();
  o.providers =
      "providers:\n"
      "  - name: flaky\n    type: openai-compatible\n    base_url: " +
      flaky.base_url() +
      "\n    api_key: sk-upstream-itest\n"
      "    circuit: { consecutive_failures: 2, base_ejection_ms: 60000, "
      "max_ejection_ms: 60000 }\n"
      "  - name: good\n    type: openai-compatible\n    base_url: " +
      good.base_url() + "\n    api_key: sk-upstream-itest\n";
  o.models =
      "models:\n  - name: chat\n    targets:\n      - { provider: flaky, model: m }\n"
      "      - { provider: good, model: m }\n";
  o.node_id = "node-a";
  gateway a(dir_a, node_config(dir_a, o));
  o.node_id = "node-b";
  gateway b(dir_b, node_config(dir_b, o));
  const std::string external = "switchyard_provider_external_ejections_total{provider=\"flaky\"}";
  CHECK(metric(b.port(), external) == 0);

  // Node A sees flaky's 503s (its clients do not: they fail over) and ejects it.
  for (int i = 0; i < 2; ++i)
    require_chat_completion(post_json(a.port(), "/v1/chat/completions", small_request, test_key));
  const auto ejected_at = steady::now();
  REQUIRE(flaky.requests_total() == 2);
  CHECK(eventually([&] { return metric(b.port(), external) == 1; }, 10s, 5ms));
  const auto heard_ms =
      std::chrono::duration<double, std::milli>(steady::now() - ejected_at).count();
  std::printf("ejection broadcast: node b applied node a's ejection %.1f ms after a's answer\n",
              heard_ms);
  CHECK(metric(a.port(),
               "switchyard_counters_ejection_broadcasts_total{direction=\"published\"}") == 1);
  CHECK(metric(b.port(), "switchyard_counters_ejection_broadcasts_total{direction=\"received\"}") ==
        1);
  CHECK(metric(b.port(), "switchyard_provider_circuit_state{provider=\"flaky\"}") == 1);
  // Node A does not apply its own broadcast a second time.
  CHECK(metric(a.port(), external) == 0);

  // Node B, which never saw a failure, no longer sends to flaky.
  for (int i = 0; i < 5; ++i) {
    auto r = post_json(b.port(), "/v1/chat/completions", small_request, test_key);
    require_chat_completion(r);
    CHECK(r.header("x-switchyard-provider") == "good");
  }
  CHECK(flaky.requests_total() == 2);
  CHECK(metric(b.port(), "switchyard_provider_ejections_total{provider=\"flaky\"}") == 0);
}

TEST_CASE("cluster counters: Redis operations per request stay far below one") {
  temp_dir shared, dir_a, dir_b;
  redis_server redis(shared);
  mock_provider mock(shared, "up", mock_options().reply_tokens(8));
  node_options o;
  o.redis_url = redis.url();
  o.itest_limits = "    budget: { usd: 1000, period: monthly }\n";
  o.providers = one_provider(mock.base_url());
  o.models = priced_model;
  o.node_id = "node-a";
  gateway a(dir_a, node_config(dir_a, o));
  o.node_id = "node-b";
  gateway b(dir_b, node_config(dir_b, o));
  const double before = redis_operations(a.port()) + redis_operations(b.port());

  // Sustained load for two seconds, so that the periodic reports and renewals count too.
  constexpr int clients_per_node = 4;
  const auto duration = 2s;
  std::atomic<int> ok{0}, sent{0};
  std::vector<std::thread> clients;
  const auto started = steady::now();
  for (int c = 0; c < 2 * clients_per_node; ++c) {
    clients.emplace_back([&, c] {
      const auto port = c % 2 == 0 ? a.port() : b.port();
      while (steady::now() - started < duration) {
        ++sent;
        if (post_json(port, "/v1/chat/completions", small_request, test_key).status == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(steady::now() - started).count();
  const int total = sent.load();
  CHECK(ok.load() == total);
  wait_settled(a.port());
  wait_settled(b.port());
  std::this_thread::sleep_for(300ms);  // the last reports
  const double ops = redis_operations(a.port()) + redis_operations(b.port()) - before;
  const double per_request = ops / total;
  std::printf(
      "redis operations per request: %.3f (%.0f operations for %d requests over 2 nodes in "
      "%.2f s, %.0f requests/s)\n",
      per_request, ops, total, seconds, total / seconds);
  CHECK(per_request < 0.5);
}

TEST_CASE("cluster counters: a SIGKILLed node's leases return to the pool after the TTL") {
  temp_dir shared, dir_a, dir_b;
  redis_server redis(shared);
  mock_provider mock(shared, "up", mock_options().reply_tokens(8));
  node_options o;
  o.redis_url = redis.url();
  o.itest_limits = "    budget: { usd: 1, period: total }\n";
  o.cluster = "  lease_ttl_ms: 1000\n";
  o.providers = one_provider(mock.base_url());
  o.models = priced_model;
  o.node_id = "node-a";
  gateway a(dir_a, node_config(dir_a, o));
  o.node_id = "node-b";
  gateway b(dir_b, node_config(dir_b, o));
  const std::string leases = "switchyard:budget:{tenant:itest:0}:leases";

  require_chat_completion(post_json(a.port(), "/v1/chat/completions", small_request, test_key));
  const double held = std::stod(redis.query({"HGET", leases, "node-a"}));
  CHECK(held > 0);
  a.proc().signal(SIGKILL);
  REQUIRE(a.proc().wait_exit(10s));

  // Node B's next top-ups find node A's lease expired and take it back into the pool.
  CHECK(eventually(
      [&] {
        require_chat_completion(
            post_json(b.port(), "/v1/chat/completions", small_request, test_key));
        return redis.query({"HGET", leases, "node-a"}) == "(nil)";
      },
      20s, 200ms));
  CHECK(redis.query({"ZSCORE", "switchyard:budget:{tenant:itest:0}:expiry", "node-a"}) == "(nil)");
}

TEST_CASE("cluster counters: a bad counters URL stops the start with a precise error") {
  temp_dir dir;
  mock_provider mock(dir, "up");
  struct bad_url {
    std::string url;
    std::string says;
  };
  const bad_url cases[] = {
      {"redis://gw:hunter2@127.0.0.1:99999", "port must be 1 to 65535"},
      {"rediss://gw:hunter2@127.0.0.1:6379", "TLS"},
      {"redis://gw:hunter2@127.0.0.1:6379/42", "database"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.url);
    node_options o;
    o.redis_url = c.url;
    o.node_id = "n";
    o.providers = one_provider(mock.base_url());
    o.models = priced_model;
    auto cfg = dir.write("bad.yaml", node_config(dir, o));
    process p("switchyard", {SWITCHYARD_BINARY, "--config", cfg.string()},
              dir.path() / "bad.stderr");
    auto code = p.wait_exit(default_timeout);
    REQUIRE(code);
    CHECK(*code == 1);
    const auto err = p.stderr_text();
    CHECK(err.find(c.says) != std::string::npos);
    CHECK(err.find("hunter2") == std::string::npos);  // never the password
  }
}

// The lease scripts against a real redis-server: concurrent acquires from several clients never
// grant more than remains, slices shrink as the budget runs out, leases of a node that stopped
// renewing return to the pool, reports and releases keep the books, keys are per period and
// expire after it, and a server that forgot the scripts (restart, SCRIPT FLUSH) is reloaded.
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "redis_server.hpp"
#include "runtime/lease_scripts.hpp"
#include "runtime/redis_client.hpp"

using namespace switchyard;
using namespace switchyard::itest;
using namespace switchyard::runtime;

namespace {

struct budget_keys {
  std::vector<std::string> keys;
  explicit budget_keys(const std::string& base)
      : keys{base + ":spent", base + ":leases", base + ":expiry"} {}
};

redis_endpoint endpoint_of(const redis_server& r) {
  auto ep = parse_redis_url(r.url());
  REQUIRE(ep.ok());
  return ep.value();
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct acquired {
  double granted = 0, own = 0, spent = 0, remaining = 0;
  int live = 0;
};

acquired acquire(redis_client& c, const budget_keys& k, const std::string& node, double want,
                 double need, double floor, double limit, std::int64_t ttl_ms = 3000,
                 double seed = 0, double reported = 0, std::int64_t key_ttl = 0) {
  std::string error;
  auto r = c.eval({{&acquire_script(),
                    k.keys,
                    {node, num(want), num(need), num(floor), "2", std::to_string(ttl_ms),
                     num(limit), num(seed), std::to_string(key_ttl), num(reported)}}},
                  error);
  INFO(error);
  REQUIRE(r);
  const auto& v = r->front();
  INFO(v.text);
  REQUIRE(v.type == redis_value::kind::array);
  return {*v.number_at(0), *v.number_at(1), *v.number_at(2), *v.number_at(3),
          static_cast<int>(*v.number_at(4))};
}

// spent + Σ leases, as stored.
double committed(const redis_server& r, const budget_keys& k) {
  double total = std::stod(r.query({"GET", k.keys[0]}));
  auto all = r.query({"HVALS", k.keys[1]});
  std::size_t start = 0;
  while (start < all.size()) {
    auto end = all.find('\n', start);
    if (end == std::string::npos) end = all.size();
    total += std::stod(all.substr(start, end - start));
    start = end + 1;
  }
  return total;
}

}  // namespace

TEST_CASE("lease scripts: concurrent acquires from several clients never over-grant") {
  temp_dir dir;
  redis_server redis(dir);
  const budget_keys k{budget_key_base("tenant:race", config::wall_time{})};
  constexpr double limit = 10.0;
  constexpr int clients = 6;
  std::atomic<double> granted_total{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      redis_client c(endpoint_of(redis));
      const std::string node = "node-" + std::to_string(i);
      double mine = 0;
      for (int round = 0; round < 200; ++round) {
        std::string error;
        auto r = c.eval({{&acquire_script(),
                          k.keys,
                          {node, "0.7", "0", "0.01", "2", "60000", num(limit), "0", "0",
                           // Spend half of what was held, so spent grows as leases come and go.
                           num(mine / 2)}}},
                        error);
        if (!r || r->front().type != redis_value::kind::array) return;
        mine = mine / 2 + *r->front().number_at(0);
        double prev = granted_total.load();
        while (!granted_total.compare_exchange_weak(prev, prev + *r->front().number_at(0))) {
        }
        if (*r->front().number_at(3) <= 0) return;  // nothing remains
      }
    });
  }
  for (auto& t : threads) t.join();
  // Every grant came from what remained: spent + outstanding leases never pass the limit.
  CHECK(committed(redis, k) <= limit + 1e-9);
  CHECK(granted_total.load() <= limit + 1e-9);
  CHECK(granted_total.load() >= limit - 1e-6);  // and the whole budget was handed out
}

TEST_CASE("lease scripts: slices shrink as the budget runs out, never past what remains") {
  temp_dir dir;
  redis_server redis(dir);
  redis_client c(endpoint_of(redis));
  const budget_keys k{budget_key_base("tenant:shrink", config::wall_time{})};
  // A second live node: slices are remaining / (2 · 2).
  auto other = acquire(c, k, "other", 5, 0, 0.1, 100);
  CHECK(other.granted == Approx(5));
  CHECK(other.live == 1);
  double previous = 1e9;
  double reported = 0;
  std::vector<double> grants;
  for (int i = 0; i < 40; ++i) {
    auto a = acquire(c, k, "me", 5, 0, 0.1, 100, 3000, 0, reported);
    grants.push_back(a.granted);
    CHECK(a.granted <= previous + 1e-12);  // never growing
    CHECK(a.granted <= 5);
    CHECK(a.remaining >= -1e-9);
    previous = a.granted;
    reported = a.granted;  // spend all of it before the next acquire
    if (a.granted == 0) break;
  }
  CHECK(grants.front() == Approx(5));  // plenty left: the full slice
  // Near the end: remaining / (k · live nodes), then the floor, then what is left, then 0.
  CHECK(grants.size() > 5);
  CHECK(grants.back() == 0);
  CHECK(committed(redis, k) <= 100 + 1e-9);
}

TEST_CASE("lease scripts: a waiting request's need is granted when that much remains") {
  temp_dir dir;
  redis_server redis(dir);
  redis_client c(endpoint_of(redis));
  const budget_keys k{budget_key_base("tenant:need", config::wall_time{})};
  // Alone, a node gets half of what remains (k = 2): 5 of 10.
  CHECK(acquire(c, k, "a", 9, 0, 0.01, 10).granted == Approx(5));
  // A need beyond the slice is granted while that much remains.
  CHECK(acquire(c, k, "a", 9, 4, 0.01, 10).granted == Approx(4));
  CHECK(acquire(c, k, "b", 0.1, 0, 0.01, 10).granted == Approx(0.1));
  // 0.9 remains; 3 live nodes make the slice 0.9 / 6 = 0.15, asked 0.01: the need of 0.5 wins.
  auto a = acquire(c, k, "c", 0.01, 0.5, 0.001, 10);
  CHECK(a.granted == Approx(0.5));
  // More than remains is never granted.
  auto b = acquire(c, k, "c", 0.01, 5, 0.001, 10);
  CHECK(b.granted == Approx(0.4));
  CHECK(b.remaining == Approx(0).margin(1e-12));
  CHECK(committed(redis, k) == Approx(10));
}

TEST_CASE("lease scripts: leases of a node that stopped renewing return to the pool") {
  temp_dir dir;
  redis_server redis(dir);
  redis_client c(endpoint_of(redis));
  const budget_keys k{budget_key_base("tenant:ttl", config::wall_time{})};
  auto dead = acquire(c, k, "dead", 6, 6, 0.1, 10, /*ttl_ms=*/200);
  CHECK(dead.granted == Approx(6));
  auto alive = acquire(c, k, "alive", 10, 10, 0.1, 10, 60000);
  CHECK(alive.granted == Approx(4));  // only what the dead node does not hold
  std::this_thread::sleep_for(300ms);
  auto after = acquire(c, k, "alive", 10, 10, 0.1, 10, 60000);
  CHECK(after.granted == Approx(6));  // the dead node's lease came back
  CHECK(after.live == 1);
  CHECK(redis.query({"HGET", k.keys[1], "dead"}) == "(nil)");
  CHECK(redis.query({"ZSCORE", k.keys[2], "dead"}) == "(nil)");
  CHECK(committed(redis, k) == Approx(10));
}

TEST_CASE("lease scripts: report and release keep spent and leases in step") {
  temp_dir dir;
  redis_server redis(dir);
  redis_client c(endpoint_of(redis));
  const budget_keys k{budget_key_base("tenant:books", config::wall_time{})};
  // The first acquire of a period seeds the spend from the usage store; later seeds are ignored.
  auto a = acquire(c, k, "n", 2, 2, 0.1, 10, 3000, /*seed=*/3);
  CHECK(a.spent == Approx(3));
  CHECK(a.granted == Approx(2));
  std::string error;
  auto r = c.eval({{&report_script(), k.keys, {"n", "0.5", "3000", "7", "0"}}}, error);
  REQUIRE(r);
  CHECK(*r->front().number_at(0) == Approx(1.5));  // own
  CHECK(*r->front().number_at(1) == Approx(3.5));  // spent
  auto rel = c.eval({{&release_script(), k.keys, {"n", "0.25", "1", "0", "0", "3000"}}}, error);
  REQUIRE(rel);
  CHECK(*rel->front().number_at(0) == Approx(0.25));
  CHECK(*rel->front().number_at(1) == Approx(3.75));
  // Released entirely: the node leaves the lease table and the expiry set.
  auto all = c.eval({{&release_script(), k.keys, {"n", "0", "0.25", "0", "0", "3000"}}}, error);
  REQUIRE(all);
  CHECK(*all->front().number_at(0) == 0);
  CHECK(redis.query({"HGET", k.keys[1], "n"}) == "(nil)");
  CHECK(redis.query({"ZSCORE", k.keys[2], "n"}) == "(nil)");
  CHECK(std::stod(redis.query({"GET", k.keys[0]})) == Approx(3.75));
  // Spend reported beyond a lease that is gone still counts.
  auto late = c.eval({{&report_script(), k.keys, {"n", "1", "3000", "0", "0"}}}, error);
  REQUIRE(late);
  CHECK(*late->front().number_at(0) == 0);
  CHECK(*late->front().number_at(1) == Approx(4.75));
}

TEST_CASE("lease scripts: keys are per account and period, and expire after the period") {
  temp_dir dir;
  redis_server redis(dir);
  redis_client c(endpoint_of(redis));
  const auto day1 = *config::parse_rfc3339_utc("2026-11-25T00:00:00Z");
  const auto day2 = *config::parse_rfc3339_utc("2026-11-26T00:00:00Z");
  CHECK(budget_key_base("tenant:t", day1) == "switchyard:budget:{tenant:t:1795564800}");
  CHECK(budget_key_base("tenant:t", day1) != budget_key_base("tenant:t", day2));
  CHECK(budget_key_base("tenant:t", day1) != budget_key_base("key:t", day1));
  const budget_keys k1{budget_key_base("tenant:t", day1)};
  const budget_keys k2{budget_key_base("tenant:t", day2)};
  acquire(c, k1, "n", 10, 10, 0.1, 10, 3000, 0, 0, /*key_ttl=*/90000);
  auto fresh = acquire(c, k2, "n", 10, 10, 0.1, 10, 3000, 0, 0, 90000);
  CHECK(fresh.granted == Approx(10));  // a new period's budget is whole again
  for (const auto& key : k1.keys) {
    auto ttl = std::stoll(redis.query({"TTL", key}));
    CHECK(ttl > 0);
    CHECK(ttl <= 90000);
  }
  // Period `total` keeps its keys.
  const budget_keys forever{budget_key_base("tenant:forever", config::wall_time{})};
  acquire(c, forever, "n", 1, 0, 0.1, 10);
  CHECK(redis.query({"TTL", forever.keys[0]}) == "-1");
}

TEST_CASE("lease scripts: a server that forgot the scripts gets them again; down is an error") {
  temp_dir dir;
  redis_server redis(dir);
  std::vector<std::string> ops;
  redis_client c(endpoint_of(redis), {}, [&](std::string_view op) { ops.emplace_back(op); });
  const budget_keys k{budget_key_base("tenant:flush", config::wall_time{})};
  acquire(c, k, "n", 1, 0, 0.1, 10);
  CHECK(std::count(ops.begin(), ops.end(), "script_load") == 1);  // first use: NOSCRIPT
  acquire(c, k, "n", 1, 0, 0.1, 10);
  CHECK(std::count(ops.begin(), ops.end(), "script_load") == 1);  // cached by SHA
  redis.query({"SCRIPT", "FLUSH"});
  auto a = acquire(c, k, "n", 1, 0, 0.1, 10);
  CHECK(a.granted == Approx(1));
  CHECK(std::count(ops.begin(), ops.end(), "script_load") == 2);
  CHECK(c.up());

  redis.stop();
  std::string error;
  auto down = c.command("ping", {"PING"}, error);
  CHECK_FALSE(down);
  CHECK_FALSE(c.up());
  CHECK(error.find(std::to_string(redis.port())) != std::string::npos);
  // While backing off, no connection is even tried.
  auto again = c.command("ping", {"PING"}, error);
  CHECK_FALSE(again);
  CHECK(error.find("retrying") != std::string::npos);

  redis.start();  // same port, same data (append-only file)
  CHECK(eventually([&] {
    std::string e;
    auto r = c.command("ping", {"PING"}, e);
    return r && r->text == "PONG";
  }));
  CHECK(c.up());
  auto after = acquire(c, k, "n", 1, 0, 0.1, 10);
  CHECK(after.spent == Approx(0));
  CHECK(after.own == Approx(4));  // the leases survived the restart
}

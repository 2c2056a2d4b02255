// The shared rate-window script against a real redis-server: concurrent takes from several
// clients never put more than the limit in a 60 s window, unused slices go back to their second,
// buckets older than the window leave it, and a full window says how long until a request fits.
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "harness.hpp"
#include "redis_server.hpp"
#include "runtime/rate_script.hpp"
#include "runtime/redis_client.hpp"

using namespace switchyard::itest;
using namespace switchyard::runtime;

namespace {

struct taken {
  long long granted = 0, second = 0, used = 0, wait_ms = 0;
};

taken take(redis_client& c, const std::string& key, long long want, long long need, long long limit,
           long long back_second = 0, long long back_amount = 0) {
  std::string error;
  auto r = c.eval({{&rate_take_script(),
                    {key},
                    {std::to_string(want), std::to_string(need), std::to_string(limit),
                     std::to_string(back_second), std::to_string(back_amount)}}},
                  error);
  INFO(error);
  REQUIRE(r);
  const auto& v = r->front();
  INFO(v.text);
  REQUIRE(v.type == redis_value::kind::array);
  REQUIRE(v.elements.size() == 4);
  return {v.elements[0].integer, v.elements[1].integer, v.elements[2].integer,
          v.elements[3].integer};
}

redis_client client_of(const redis_server& r) {
  auto ep = parse_redis_url(r.url());
  REQUIRE(ep.ok());
  return redis_client(ep.value());
}

}  // namespace

TEST_CASE("rate script: concurrent takes never exceed the limit in the window") {
  temp_dir dir;
  redis_server redis(dir);
  const auto key = rate_window_key("tenant:race", "rpm");
  CHECK(key == "switchyard:rate:{tenant:race:rpm}");
  constexpr long long limit = 600;
  std::atomic<long long> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto ep = parse_redis_url(redis.url());
      redis_client c(ep.value());
      for (int round = 0; round < 100; ++round) {
        std::string error;
        auto r = c.eval({{&rate_take_script(), {key}, {"7", "1", std::to_string(limit), "0", "0"}}},
                        error);
        if (!r || r->front().type != redis_value::kind::array) return;
        granted += r->front().elements[0].integer;
        if (r->front().elements[0].integer == 0) return;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(granted.load() == limit);  // all of it, and not one more
  auto c = client_of(redis);
  auto full = take(c, key, 7, 1, limit);
  CHECK(full.granted == 0);
  CHECK(full.used == limit);
  CHECK(full.wait_ms > 0);
  CHECK(full.wait_ms <= 60000);
}

TEST_CASE("rate script: an unused slice goes back to its second") {
  temp_dir dir;
  redis_server redis(dir);
  auto c = client_of(redis);
  const auto key = rate_window_key("key:abc", "tpm");
  auto a = take(c, key, 40, 10, 100);
  CHECK(a.granted == 40);
  CHECK(a.used == 40);
  // 25 of the 40 were not used: given back with the next take.
  auto b = take(c, key, 10, 1, 100, a.second, 25);
  CHECK(b.granted == 10);
  CHECK(b.used == 25);
  // A give-back never takes a bucket below zero.
  auto d = take(c, key, 1, 1, 100, a.second, 1000);
  CHECK(d.used <= 11);
  CHECK(d.used >= 1);
}

TEST_CASE("rate script: old buckets leave the window; a full one says when a request fits") {
  temp_dir dir;
  redis_server redis(dir);
  auto c = client_of(redis);
  const auto key = rate_window_key("tenant:slide", "rpm");
  const auto now = take(c, key, 0, 0, 10).second;  // Redis' current second
  redis.query({"DEL", key});
  redis.query({"HSET", key, std::to_string(now - 61), "10"});  // outside the window
  redis.query({"HSET", key, std::to_string(now - 30), "6"});
  redis.query({"HSET", key, std::to_string(now - 10), "4"});
  auto full = take(c, key, 1, 1, 10);
  CHECK(full.granted == 0);
  CHECK(full.used == 10);
  // The bucket of 30 s ago leaves first: about 30 s from now.
  CHECK(full.wait_ms > 25000);
  CHECK(full.wait_ms <= 31000);
  CHECK(redis.query({"HEXISTS", key, std::to_string(now - 61)}) == "0");  // deleted
  // A request larger than what can ever be free waits for the whole window.
  auto huge = take(c, key, 20, 20, 10);
  CHECK(huge.granted == 0);
  CHECK(huge.wait_ms == 60000);
  // Half a slice is never granted below the request's need.
  redis.query({"HDEL", key, std::to_string(now - 10)});
  auto partial = take(c, key, 8, 4, 10);
  CHECK(partial.granted == 4);  // 4 free: the need fits, the rest of `want` does not
  auto none = take(c, key, 8, 4, 10);
  CHECK(none.granted == 0);
  auto ttl = std::stoll(redis.query({"TTL", key}));
  CHECK(ttl > 0);
  CHECK(ttl <= 61);
}

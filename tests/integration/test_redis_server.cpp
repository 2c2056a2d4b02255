// The test helper itself: a private redis-server starts, answers PING, keeps its data across a
// restart on the same port, and refuses connections while stopped.
#include <catch2/catch.hpp>

#include "harness.hpp"
#include "redis_server.hpp"

using namespace switchyard::itest;

TEST_CASE("redis_server: starts, answers PING, restarts on the same port") {
  temp_dir dir;
  redis_server redis(dir);
  REQUIRE(redis.port() != 0);
  CHECK(redis.url() == "redis://127.0.0.1:" + std::to_string(redis.port()));
  CHECK(redis.ping());
  CHECK(redis.query({"SET", "k", "v"}) == "OK");

  const auto port = redis.port();
  redis.stop();
  CHECK_FALSE(redis.running());
  CHECK_FALSE(can_connect(port));
  CHECK_FALSE(redis.ping(200ms));

  redis.start();
  CHECK(redis.port() == port);
  CHECK(redis.ping());
  CHECK(redis.query({"GET", "k"}) == "v");  // the data survived the restart
  CHECK_THROWS(redis.query({"NOSUCHCOMMAND"}));
}

// `counters: redis://…` URLs and ejection broadcast payloads: what is accepted, and precise
// errors that never quote a password.
#include <catch2/catch.hpp>

#include "runtime/ejection_message.hpp"
#include "runtime/redis_url.hpp"

#include <unistd.h>

using namespace switchyard::runtime;
using namespace std::chrono_literals;

TEST_CASE("redis url: host, port, credentials and database") {
  auto plain = parse_redis_url("redis://cache.internal");
  REQUIRE(plain.ok());
  CHECK(plain->host == "cache.internal");
  CHECK(plain->port == 6379);
  CHECK(plain->password.empty());
  CHECK(plain->db == 0);
  CHECK(plain->where() == "cache.internal:6379");

  auto full = parse_redis_url("redis://gw:s%40cret@10.0.0.5:7000/3");
  REQUIRE(full.ok());
  CHECK(full->user == "gw");
  CHECK(full->password == "s@cret");
  CHECK(full->host == "10.0.0.5");
  CHECK(full->port == 7000);
  CHECK(full->db == 3);
  CHECK(full->where() == "10.0.0.5:7000");  // no credential

  auto password_only = parse_redis_url("redis://:pw@127.0.0.1:6380");
  REQUIRE(password_only.ok());
  CHECK(password_only->user.empty());
  CHECK(password_only->password == "pw");

  auto v6 = parse_redis_url("redis://[::1]:6390");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->where() == "[::1]:6390");
}

TEST_CASE("redis url: bad input is refused without quoting the URL") {
  const char* bad[] = {
      "rediss://h:1",    "http://h",     "redis://",       "redis://h:0",  "redis://h:70000",
      "redis://h:port",  "redis://h:",   "redis://h/16",   "redis://h/x",  "redis://u@h",
      "redis://:p%zz@h", "redis://[::1", "redis://[::1]x", "redis://h st",
  };
  for (const char* url : bad) {
    CAPTURE(url);
    auto r = parse_redis_url(url);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().rfind("counters: ", 0) == 0);
  }
  auto secret = parse_redis_url("redis://user:hunter2@h:99999");
  REQUIRE_FALSE(secret.ok());
  CHECK(secret.error().find("hunter2") == std::string::npos);
  CHECK(parse_redis_url("rediss://h").error().find("TLS") != std::string::npos);
}

TEST_CASE("ejection message: round trip, and malformed payloads refused") {
  ejection_message m{"node-a", "openai.eu", 1500ms};
  CHECK(format_ejection(m) == "v1 node-a openai.eu 1500");
  auto back = parse_ejection(format_ejection(m));
  REQUIRE(back);
  CHECK(back->node_id == "node-a");
  CHECK(back->provider == "openai.eu");
  CHECK(back->duration == 1500ms);

  const char* bad[] = {
      "",           "v1",          "v1 a b",         "v2 a b 10",   "v1 a b 10 extra",
      "v1 a b 0",   "v1 a b -5",   "v1 a b 3600001", "v1 a b 10ms", "v1 a b 10 ",
      "v1 a  b 10", "v1 a b\n 10", "v1 n{x} b 10"};
  for (const char* p : bad) {
    CAPTURE(p);
    CHECK_FALSE(parse_ejection(p));
  }
  CHECK(parse_ejection("v1 " + std::string(64, 'n') + " p 10"));
  CHECK_FALSE(parse_ejection("v1 " + std::string(65, 'n') + " p 10"));
}

TEST_CASE("ejection message: the default node id is hostname-pid, safe and bounded") {
  auto id = default_node_id();
  CHECK_FALSE(id.empty());
  CHECK(id.size() <= 64);
  CHECK(id.find(' ') == std::string::npos);
  CHECK(id.substr(id.rfind('-') + 1) == std::to_string(::getpid()));
}

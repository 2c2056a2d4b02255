// parse_listen, parse_base_url and valid_host on their own.
#include <catch2/catch.hpp>

#include "config/address.hpp"

using namespace switchyard::config;

TEST_CASE("valid_host accepts names, IPv4 and (when allowed) IPv6") {
  CHECK(valid_host("localhost", false));
  CHECK(valid_host("api.openai.com", false));
  CHECK(valid_host("api.openai.com.", false));
  CHECK(valid_host("my_service", false));
  CHECK(valid_host("10.0.0.1", false));
  CHECK_FALSE(valid_host("10.0.0.256", false));
  CHECK_FALSE(valid_host("10.0.0", false));
  CHECK_FALSE(valid_host("01.2.3.4", false));
  CHECK_FALSE(valid_host("-bad.example", false));
  CHECK_FALSE(valid_host("a..b", false));
  CHECK_FALSE(valid_host("", false));
  CHECK_FALSE(valid_host("*", false));
  CHECK_FALSE(valid_host(std::string(64, 'a') + ".com", false));
  CHECK(valid_host("::1", true));
  CHECK(valid_host("::", true));
  CHECK(valid_host("2001:db8::8a2e:370:7334", true));
  CHECK(valid_host("1:2:3:4:5:6:7:8", true));
  CHECK(valid_host("::ffff:192.0.2.1", true));
  CHECK(valid_host("fe80::1%eth0", true));
  CHECK_FALSE(valid_host("::1", false));
  CHECK_FALSE(valid_host("1:2:3:4:5:6:7:8:9", true));
  CHECK_FALSE(valid_host("1::2::3", true));
  CHECK_FALSE(valid_host("12345::", true));
  CHECK_FALSE(valid_host("g::1", true));
  CHECK_FALSE(valid_host(":1", true));
  CHECK_FALSE(valid_host("1:2:3:4:5:6:7", true));
  CHECK_FALSE(valid_host("fe80::1%", true));
}

TEST_CASE("parse_listen splits host and port") {
  auto a = parse_listen("127.0.0.1:8080");
  REQUIRE(a.ok());
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8080);
  auto b = parse_listen("[2001:db8::1]:443");
  REQUIRE(b.ok());
  CHECK(b->host == "2001:db8::1");
  CHECK(b->port == 443);
  auto c = parse_listen("0.0.0.0:0");
  REQUIRE(c.ok());
  CHECK(c->port == 0);
  CHECK_FALSE(parse_listen("").ok());
  CHECK_FALSE(parse_listen("[::1]").ok());
  CHECK_FALSE(parse_listen("[::1]8080").ok());
  CHECK_FALSE(parse_listen("host:65536").ok());
  CHECK_FALSE(parse_listen("host:+80").ok());
  CHECK_FALSE(parse_listen("host:008080").ok());
  CHECK_THAT(parse_listen("[::1]x:1").error(), Catch::Contains("unexpected text after ']'"));
}

TEST_CASE("parse_base_url fills scheme, host, default or explicit port and base path") {
  auto a = parse_base_url("https://api.openai.com/v1");
  REQUIRE(a.ok());
  CHECK(a->tls);
  CHECK(a->host == "api.openai.com");
  CHECK(a->port == 443);
  CHECK(a->base_path == "/v1");
  auto b = parse_base_url("http://localhost");
  REQUIRE(b.ok());
  CHECK_FALSE(b->tls);
  CHECK(b->port == 80);
  CHECK(b->base_path.empty());
  auto c = parse_base_url("http://localhost:11434/");
  REQUIRE(c.ok());
  CHECK(c->port == 11434);
  CHECK(c->base_path.empty());
  auto d = parse_base_url("https://[::1]:8443/a/b//");
  REQUIRE(d.ok());
  CHECK(d->host == "::1");
  CHECK(d->port == 8443);
  CHECK(d->base_path == "/a/b");
  CHECK_FALSE(parse_base_url("https://host:/v1").ok());
  CHECK_FALSE(parse_base_url("https://host/v1#frag").ok());
  CHECK_FALSE(parse_base_url("https://").ok());
  CHECK_FALSE(parse_base_url("ws://host").ok());
  CHECK_FALSE(parse_base_url("https://bad_host!/v1").ok());
}

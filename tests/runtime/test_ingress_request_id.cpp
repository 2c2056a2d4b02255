// Request ids: which client ids are echoed, and what generated ones look like.
#include <catch2/catch.hpp>

#include <set>

#include "runtime/request_id.hpp"

using namespace switchyard::runtime;

TEST_CASE("client request ids are accepted when short and plain", "[ingress][request_id]") {
  CHECK(is_valid_request_id("a"));
  CHECK(is_valid_request_id("req_01H.abc-XYZ"));
  CHECK(is_valid_request_id(std::string(128, 'x')));
  CHECK_FALSE(is_valid_request_id(""));
  CHECK_FALSE(is_valid_request_id(std::string(129, 'x')));
  CHECK_FALSE(is_valid_request_id("has space"));
  CHECK_FALSE(is_valid_request_id("new\r\nline"));
  CHECK_FALSE(is_valid_request_id("quote\""));
  CHECK_FALSE(is_valid_request_id("slash/"));
  CHECK_FALSE(is_valid_request_id("caf\xc3\xa9"));
}

TEST_CASE("generated request ids are 32 lowercase hex digits and distinct",
          "[ingress][request_id]") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = generate_request_id();
    REQUIRE(id.size() == 32);
    for (char c : id) REQUIRE(((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')));
    seen.insert(id);
  }
  CHECK(seen.size() == 1000);
}

TEST_CASE("accept_or_generate_request_id keeps valid ids and replaces the rest",
          "[ingress][request_id]") {
  CHECK(accept_or_generate_request_id("my-id.1") == "my-id.1");
  auto replaced = accept_or_generate_request_id("bad id");
  CHECK(replaced != "bad id");
  CHECK(replaced.size() == 32);
  CHECK(accept_or_generate_request_id("").size() == 32);
}

// The mock's request log: bounded, oldest dropped first, bodies embedded as JSON when they are.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "bench/mock_provider/request_log.hpp"

using switchyard::mock::logged_request;
using switchyard::mock::request_log;

TEST_CASE("the request log keeps the newest entries up to its capacity") {
  request_log log{2};
  CHECK(log.last_json().empty());
  for (int i = 0; i < 3; ++i) {
    log.add({"POST",
             "/v1/chat/completions",
             {{"Authorization", "Bearer k" + std::to_string(i)}},
             R"({"model":"m)" + std::to_string(i) + R"("})"});
  }
  rapidjson::Document all;
  all.Parse(log.all_json().c_str());
  REQUIRE(all["requests"].Size() == 2);
  CHECK(std::string(all["requests"][0]["body"]["model"].GetString()) == "m1");
  CHECK(std::string(all["requests"][1]["headers"]["Authorization"].GetString()) == "Bearer k2");
  rapidjson::Document last;
  last.Parse(log.last_json().c_str());
  CHECK(std::string(last["body"]["model"].GetString()) == "m2");
  log.clear();
  CHECK(log.last_json().empty());
}

TEST_CASE("a body that is not JSON is kept as a string, and capacity 0 keeps nothing") {
  request_log log{4};
  log.add({"POST", "/v1/embeddings", {}, "not json"});
  rapidjson::Document last;
  last.Parse(log.last_json().c_str());
  CHECK(std::string(last["body"].GetString()) == "not json");
  request_log off{0};
  off.add({"POST", "/x", {}, "{}"});
  CHECK(off.last_json().empty());
}

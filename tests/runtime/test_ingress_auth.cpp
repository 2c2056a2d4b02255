// The ingress key table: how keys are presented, hashed and looked up.
#include <catch2/catch.hpp>

#include "config/key_hash.hpp"
#include "config/loader.hpp"
#include "runtime/auth.hpp"
#include "test_ingress_harness.hpp"

using namespace switchyard;
using runtime::key_table;
using runtime::presented_key;

TEST_CASE("presented_key reads Bearer auth, then x-api-key", "[ingress][auth]") {
  CHECK(presented_key("Bearer sk-1", "") == "sk-1");
  CHECK(presented_key("bearer   sk-1  ", "") == "sk-1");
  CHECK(presented_key("BEARER\tsk-1", "") == "sk-1");
  CHECK(presented_key("", "sk-2") == "sk-2");
  CHECK(presented_key("", "  sk-2 ") == "sk-2");
  CHECK(presented_key("Bearer sk-1", "sk-2") == "sk-1");         // Authorization wins
  CHECK(presented_key("Basic dXNlcjpwYXNz", "sk-2") == "sk-2");  // other schemes are not keys
  CHECK(presented_key("Basic dXNlcjpwYXNz", "").empty());
  CHECK(presented_key("Bearer", "").empty());
  CHECK(presented_key("Bearer ", "").empty());
  CHECK(presented_key("", "").empty());
}

TEST_CASE("key_table maps configured keys to their tenant", "[ingress][auth]") {
  auto cfg = test::make_ingress_config();
  key_table keys{cfg};
  CHECK(keys.size() == 2);

  auto a = keys.authenticate(std::string{"Bearer "} + test::key_a, "");
  REQUIRE(a.ok());
  CHECK(a->tenant->name == "team-a");
  CHECK(a->key_prefix == config::visible_prefix(test::key_a));

  auto b = keys.authenticate("", test::key_b);
  REQUIRE(b.ok());
  CHECK(b->tenant->name == "team-b");
}

TEST_CASE("a missing key answers 401 saying how to pass one", "[ingress][auth]") {
  key_table keys{test::make_ingress_config()};
  for (auto [authorization, api_key] :
       {std::pair{"", ""}, std::pair{"Basic abc", ""}, std::pair{"Bearer ", " "}}) {
    auto r = keys.authenticate(authorization, api_key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == protocols::gateway_error::unauthorized);
    CHECK(r.error().message.find("Authorization: Bearer") != std::string::npos);
    CHECK(r.error().message.find("x-api-key") != std::string::npos);
  }
}

TEST_CASE("an unknown key answers 401 without echoing it", "[ingress][auth]") {
  key_table keys{test::make_ingress_config()};
  const std::string wrong = "sk-test-team-a-0123456780";  // one character off
  for (auto r : {keys.authenticate("Bearer " + wrong, ""), keys.authenticate("", wrong)}) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == protocols::gateway_error::unauthorized);
    CHECK(r.error().message.rfind("Incorrect API key provided", 0) == 0);
    CHECK(r.error().message.find(wrong) == std::string::npos);
    CHECK(r.error().message.find("sk-test") == std::string::npos);
  }
}

TEST_CASE("a digest is not accepted as a key", "[ingress][auth]") {
  key_table keys{test::make_ingress_config()};
  CHECK_FALSE(keys.authenticate("", config::sha256_hex(test::key_a)).ok());
}

TEST_CASE("keys configured as sha256 digests authenticate their plaintext key", "[ingress][auth]") {
  const std::string plain = "sk-prod-only-the-digest-is-stored";
  const std::string yaml =
      "server:\n  listen: 127.0.0.1:0\n"
      "providers:\n  - name: demo\n    type: mock\n"
      "models:\n  - name: demo-chat\n    targets:\n      - { provider: demo, model: d }\n"
      "tenants:\n  - name: prod\n    keys: [ \"sha256:" +
      config::sha256_hex(plain) + "\" ]\n  - name: dev\n    keys: [ \"sk-dev-plain\" ]\n";
  auto loaded =
      config::load_string(yaml, "inline.yaml", [](std::string_view) { return std::nullopt; });
  REQUIRE(loaded.ok());
  key_table keys{loaded.value()};
  auto prod = keys.authenticate("Bearer " + plain, "");
  REQUIRE(prod.ok());
  CHECK(prod->tenant->name == "prod");
  auto dev = keys.authenticate("", "sk-dev-plain");
  REQUIRE(dev.ok());
  CHECK(dev->tenant->name == "dev");
  CHECK_FALSE(keys.authenticate("", "sha256:" + config::sha256_hex(plain)).ok());
}

// Tenants: key hashing at load (plain and "sha256:<hex>"), duplicates across tenants, the admin
// key, and allowed_models.
#include <catch2/catch.hpp>

#include "config/key_hash.hpp"
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

// Line 8 is "tenants:".
std::string with_tenants(std::string_view tenants, std::string_view server = "") {
  return std::string{server} + with_models(minimal_providers) + "tenants:\n" + std::string{tenants};
}

constexpr const char* abc_sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

}  // namespace

TEST_CASE("plain keys are stored only as a SHA-256 digest and a short prefix") {
  auto s = load_ok(with_tenants(R"(  - name: team-a
    keys: [ sk-team-a-0001, "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" ]
)"));
  const tenant_config& t = s->tenants[0];
  REQUIRE(t.keys.size() == 2);
  CHECK(t.keys[0].hash == "b3fa26c9f30d96c73e29a199295cee6773daffd0688607d7fcf28d47a2927a80");
  CHECK(t.keys[0].prefix == "sk-team-\xE2\x80\xA6");
  CHECK(t.keys[1].hash == abc_sha256);  // lowercased
  CHECK(t.keys[1].prefix == "sha256:\xE2\x80\xA6");
  CHECK(s->warnings.empty());
}

TEST_CASE("sha256: keys must be 64 hex characters") {
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ \"sha256:abcd\" ]\n")), 10, 13, "tenants[0].keys[0]",
              "must be followed by 64 hex characters, got 4");
  std::string bad = "sha256:" + std::string(63, 'a') + "g";
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ \"" + bad + "\" ]\n")), 10, 13, "tenants[0].keys[0]",
              "got 64 including non-hex characters");
}

TEST_CASE("plain keys may not be empty or hold whitespace, and are never echoed") {
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ \"\" ]\n")), 10, 13, "tenants[0].keys[0]",
              "must not be empty");
  auto spaced = load_error(with_tenants("  - name: dev\n    keys: [ \"sk-with space\" ]\n"));
  check_error(spaced, 10, 13, "tenants[0].keys[0]", "must not contain spaces");
  CHECK_THAT(spaced.to_string(), !Catch::Contains("sk-with"));
}

TEST_CASE("the same key may not act for two tenants, in either spelling") {
  check_error(load_error(with_tenants(R"(  - name: a
    keys: [ sk-shared-0001 ]
  - name: b
    keys: [ sk-other-0002, sk-shared-0001 ]
)")),
              12, 28, "tenants[1].keys[1]", "duplicate key: the same key as tenants[0].keys[0]");
  check_error(load_error(with_tenants("  - name: a\n    keys: [ abc ]\n  - name: b\n    keys: [ \"sha256:" + std::string{abc_sha256}
                                      + "\" ]\n")),
              12, 13, "tenants[1].keys[0]", "the same key as tenants[0].keys[0]");
  check_error(load_error(with_tenants("  - name: a\n    keys: [ k-0001, k-0001 ]\n")), 10, 21, "tenants[0].keys[1]",
              "the same key as tenants[0].keys[0]");
}

TEST_CASE("tenant keys substitute variables and an unset one without default is an error") {
  auto s = load_ok(with_tenants("  - name: dev\n    keys: [ \"${DEV_KEY}\" ]\n"), {{"DEV_KEY", "abc"}});
  CHECK(s->tenants[0].keys[0].hash == abc_sha256);
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ \"${DEV_KEY}\" ]\n")), 10, 13, "tenants[0].keys[0]",
              "environment variable DEV_KEY is unset");
}

TEST_CASE("allowed_models must name configured models, once each") {
  auto s = load_ok(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n    allowed_models: [ demo-chat ]\n"));
  CHECK(s->tenants[0].allowed_models == std::vector<std::string>{"demo-chat"});
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n    allowed_models: [ demo-chta ]\n")), 11,
              23, "tenants[0].allowed_models[0]", "unknown model \"demo-chta\"; configured models: demo-chat");
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n    allowed_models: [ demo-chat, demo-chat ]\n")),
              11, 34, "tenants[0].allowed_models[1]", "is listed twice");
}

TEST_CASE("server.admin_key is hashed like tenant keys, off when empty, and distinct from tenant keys") {
  auto on = load_ok(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n", "server:\n  admin_key: abc\n"));
  CHECK(on->server.admin_key_hash == abc_sha256);
  auto off = load_ok(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n", "server:\n  admin_key: ${ADMIN:-}\n"));
  CHECK(off->server.admin_key_hash.empty());
  auto hashed = load_ok(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n",
                                     "server:\n  admin_key: \"sha256:" + std::string{abc_sha256} + "\"\n"));
  CHECK(hashed->server.admin_key_hash == abc_sha256);
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ abc ]\n", "server:\n  admin_key: abc\n")), 2, 14,
              "server.admin_key", "must differ from every tenant key (it is the same key as tenants[0].keys[0])");
  check_error(load_error(with_tenants("  - name: dev\n    keys: [ sk-0001 ]\n", "server:\n  admin_key: ${ADMIN}\n")), 2, 14,
              "server.admin_key", "environment variable ADMIN is unset");
}

TEST_CASE("a config without tenants loads with a warning") {
  auto s = load_ok(with_models(minimal_providers));
  CHECK(s->tenants.empty());
  REQUIRE(s->warnings.size() == 1);
  CHECK_THAT(s->warnings[0], Catch::Contains("no tenants are configured"));
  auto empty_list = load_ok(with_models(minimal_providers) + "tenants:\n");
  CHECK(empty_list->tenants.empty());
}

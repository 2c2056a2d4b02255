// Provider-specific rules: credentials that disable a provider instead of failing the load,
// extra headers, mock settings, and keys that do not apply to a provider's type.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

constexpr std::string_view two_providers = R"(providers:
  - name: demo
    type: mock
  - name: azure
    type: openai-compatible
    base_url: https://example.openai.azure.com/openai
    headers:
      api-key: ${AZURE_KEY}
      X-Team: "team-${TEAM:-core}"
models:
  - name: chat
    targets:
      - { provider: azure, model: gpt-4o }
      - { provider: demo, model: demo-1 }
)";

}  // namespace

TEST_CASE("headers are read with substitution, and their variables act as credentials") {
  auto on = load_ok(two_providers, {{"AZURE_KEY", "az-123"}, {"TEAM", "search"}});
  const provider_config& p = on->providers[1];
  CHECK(p.enabled);
  REQUIRE(p.headers.size() == 2);
  CHECK(p.headers.at("api-key") == "az-123");
  CHECK(p.headers.at("X-Team") == "team-search");

  auto off = load_ok(two_providers);
  const provider_config& q = off->providers[1];
  CHECK_FALSE(q.enabled);
  CHECK(q.disabled_reason == "AZURE_KEY is unset");
  REQUIRE(off->warnings.size() == 2);
  CHECK(off->warnings[0] == "provider 'azure' disabled: AZURE_KEY is unset");
  CHECK(off->warnings[1] == "no tenants are configured: every request will be refused with 401");
}

TEST_CASE("a disabled provider's reason lists every missing variable, never a value") {
  auto s = load_ok(with_models(R"(providers:
  - name: demo
    type: mock
  - name: gw
    type: openai-compatible
    base_url: http://gw.internal/v1
    api_key: ${GW_KEY}
    headers:
      Authorization-Extra: "${GW_USER}:${GW_PASS}"
)"),
                   {{"GW_PASS", "hunter2"}, {"GW_USER", ""}});
  const provider_config& p = s->providers[1];
  CHECK_FALSE(p.enabled);
  CHECK(p.disabled_reason == "GW_KEY is unset, GW_USER is empty");
  CHECK(p.api_key.empty());
  for (const auto& w : s->warnings)
    CHECK_THAT(w, !Catch::Contains("hunter2"));
}

TEST_CASE("a model whose every target is disabled gets a warning") {
  auto s = load_ok(R"(providers:
  - name: demo
    type: mock
  - name: openai
    type: openai
    api_key: ${OPENAI_API_KEY}
models:
  - name: gpt-4o
    targets: [ { provider: openai, model: gpt-4o } ]
tenants:
  - name: dev
    keys: [ sk-dev-0001 ]
)");
  REQUIRE(s->warnings.size() == 2);
  CHECK(s->warnings[0] == "provider 'openai' disabled: OPENAI_API_KEY is unset");
  CHECK(s->warnings[1] == "model 'gpt-4o' has no enabled target (disabled providers: openai)");
}

TEST_CASE("an openai provider with no credential at all gets a warning") {
  auto s = load_ok(R"(providers:
  - name: openai
    type: openai
models:
  - name: gpt-4o
    targets: [ { provider: openai, model: gpt-4o } ]
tenants:
  - name: dev
    keys: [ sk-dev-0001 ]
)");
  REQUIRE(s->warnings.size() == 1);
  CHECK(s->warnings[0] == "provider 'openai' has no api_key: requests go upstream without credentials");
  CHECK(s->providers[0].enabled);
}

TEST_CASE("an api_key of ${VAR:-} opts out of a credential without disabling the provider") {
  auto s = load_ok(with_models(R"(providers:
  - name: demo
    type: mock
  - name: local
    type: openai-compatible
    base_url: http://127.0.0.1:8000/v1
    api_key: ${LOCAL_KEY:-}
)"));
  CHECK(s->providers[1].enabled);
  CHECK(s->providers[1].api_key.empty());
}

TEST_CASE("an unset variable outside a credential is an error naming the variable") {
  auto e = load_error(with_models(R"(providers:
  - name: local
    type: openai-compatible
    base_url: ${LOCAL_URL}
)"));
  check_error(e, 4, 15, "providers[0].base_url",
              "environment variable LOCAL_URL is unset; set it or give a default: ${LOCAL_URL:-value}");
}

TEST_CASE("header rules: valid names, no gateway-owned headers, no clash with api_key, no repeats") {
  auto with_headers = [](std::string_view headers, std::string_view extra = "") {
    return with_models("providers:\n  - name: demo\n    type: mock\n" + std::string{extra} + "    headers:\n"
                       + std::string{headers});
  };
  check_error(load_error(with_headers("      \"Bad Header\": x\n")), 5, 7, "providers[0].headers.Bad Header",
              "is not a valid HTTP header name");
  check_error(load_error(with_headers("      Content-Length: \"10\"\n")), 5, 7, "providers[0].headers.Content-Length",
              "is managed by the gateway's HTTP client");
  check_error(load_error(with_headers("      authorization: Bearer x\n", "    api_key: sk-1\n")), 6, 7,
              "providers[0].headers.authorization", "conflicts with api_key");
  check_error(load_error(with_headers("      X-A: \"1\"\n      x-a: \"2\"\n")), 6, 7, "providers[0].headers.x-a",
              "duplicate header: names are case-insensitive and X-A is already set");
  check_error(load_error(with_headers("      X-A: [ 1 ]\n")), 5, 12, "providers[0].headers.X-A",
              "must be a string, got a list");
  check_error(load_error(with_models("providers:\n  - name: demo\n    type: mock\n    headers: [ a ]\n")), 4, 14,
              "providers[0].headers", "must be a mapping of header name to value");
}

TEST_CASE("header values with an empty substitution are not sent and $${ stays literal") {
  auto s = load_ok(with_models(R"(providers:
  - name: demo
    type: mock
    headers:
      OpenAI-Organization: "${OPENAI_ORG:-}"
      X-Template: "$${not_a_var}"
      Authorization: "Bearer ${TOKEN}"
)"),
                   {{"TOKEN", "t0k"}});
  const auto& h = s->providers[0].headers;
  CHECK(h.count("OpenAI-Organization") == 0);
  CHECK(h.at("X-Template") == "${not_a_var}");
  CHECK(h.at("Authorization") == "Bearer t0k");
}

TEST_CASE("keys that do not apply to a provider's type are errors") {
  check_error(load_error(with_models("providers:\n  - name: demo\n    type: mock\n    base_url: http://x/v1\n")), 4, 15,
              "providers[0].base_url", "is not used by a mock provider");
  check_error(load_error(with_models(R"(providers:
  - name: demo
    type: mock
  - name: local
    type: openai-compatible
    base_url: http://127.0.0.1:8000/v1
    mock: { latency_ms: 5 }
)")),
              7, 5, "providers[1].mock", "is only valid for type mock");
}

TEST_CASE("a literal empty api_key is an error that never echoes a value") {
  check_error(load_error(with_models("providers:\n  - name: demo\n    type: mock\n    api_key: \"\"\n")), 4, 14,
              "providers[0].api_key", "must not be empty");
  auto listed = load_error(with_models("providers:\n  - name: demo\n    type: mock\n    api_key: [ sk-secret ]\n"));
  check_error(listed, 4, 14, "providers[0].api_key", "must be a string, got a list");
  CHECK_THAT(listed.to_string(), !Catch::Contains("sk-secret"));
}

// Providers of the Anthropic and Gemini dialects, and a model's drop_unsupported.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

constexpr std::string_view dialect_providers = R"(providers:
  - name: demo
    type: mock
  - name: claude
    type: anthropic
    api_key: ${ANTHROPIC_API_KEY}
  - name: google
    type: gemini
    api_key: ${GEMINI_API_KEY}
)";

}  // namespace

TEST_CASE("anthropic and gemini providers get their API's base URL and key header") {
  auto s = load_ok(with_models(dialect_providers),
                   {{"ANTHROPIC_API_KEY", "sk-ant-1"}, {"GEMINI_API_KEY", "AIza-1"}});
  const provider_config& claude = s->providers[1];
  CHECK(claude.type == provider_type::anthropic);
  CHECK(claude.enabled);
  CHECK(claude.base_url == "https://api.anthropic.com/v1");
  CHECK(claude.endpoint.tls);
  CHECK(claude.endpoint.host == "api.anthropic.com");
  CHECK(claude.endpoint.base_path == "/v1");
  CHECK(claude.anthropic_version == "2023-06-01");
  CHECK(api_key_header(claude.type) == "x-api-key");
  CHECK(dialect_of(claude.type) == switchyard::protocols::dialect::anthropic);

  const provider_config& google = s->providers[2];
  CHECK(google.type == provider_type::gemini);
  CHECK(google.endpoint.host == "generativelanguage.googleapis.com");
  CHECK(google.endpoint.base_path == "/v1beta");
  CHECK(api_key_header(google.type) == "x-goog-api-key");
  CHECK(dialect_of(google.type) == switchyard::protocols::dialect::gemini);

  CHECK(dialect_of(provider_type::mock) == switchyard::protocols::dialect::openai);
  CHECK(to_string(provider_type::anthropic) == "anthropic");
  CHECK(to_string(provider_type::gemini) == "gemini");
}

TEST_CASE("an unset key disables an anthropic or gemini provider") {
  auto s = load_ok(with_models(dialect_providers));
  CHECK_FALSE(s->providers[1].enabled);
  CHECK_FALSE(s->providers[2].enabled);
  CHECK(s->providers[1].disabled_reason.find("ANTHROPIC_API_KEY") != std::string::npos);
}

TEST_CASE("anthropic_version is read for anthropic providers only") {
  auto s = load_ok(with_models(R"(providers:
  - name: demo
    type: anthropic
    base_url: http://127.0.0.1:9000/v1
    api_key: sk-1
    anthropic_version: "2024-01-01"
)"));
  CHECK(s->providers[0].anthropic_version == "2024-01-01");
  CHECK(s->providers[0].endpoint.port == 9000);
  check_error(load_error(with_models(R"(providers:
  - name: demo
    type: gemini
    api_key: k
    anthropic_version: "2023-06-01"
)")),
              5, 5, "providers[0].anthropic_version", "is only valid for type anthropic");
}

TEST_CASE("a header that carries the key conflicts with api_key in each dialect") {
  check_error(load_error(with_models(R"(providers:
  - name: demo
    type: anthropic
    api_key: sk-1
    headers:
      X-Api-Key: other
)")),
              6, 7, "providers[0].headers.X-Api-Key", "conflicts with api_key");
  check_error(load_error(with_models(R"(providers:
  - name: demo
    type: gemini
    api_key: k
    headers:
      x-goog-api-key: other
)")),
              6, 7, "providers[0].headers.x-goog-api-key", "conflicts with api_key");
}

TEST_CASE("a model may opt in to dropping fields its targets cannot honour") {
  auto s = load_ok(R"(providers:
  - name: demo
    type: mock
models:
  - name: strict
    targets: [ { provider: demo, model: m } ]
  - name: lenient
    drop_unsupported: true
    targets: [ { provider: demo, model: m } ]
)");
  CHECK_FALSE(s->models[0].drop_unsupported);
  CHECK(s->models[1].drop_unsupported);
  check_error(load_error(R"(providers:
  - name: demo
    type: mock
models:
  - name: m
    drop_unsupported: sometimes
    targets: [ { provider: demo, model: m } ]
)"),
              6, 23, "models[0].drop_unsupported", "must be true or false");
}

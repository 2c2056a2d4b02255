// Structural errors: YAML syntax, empty documents, unknown and repeated keys, wrong node types
// and missing required keys. Each names the file, line, column and dotted key.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

TEST_CASE("the spec's example error renders as file:line:column: key: message") {
  auto e = load_error(R"(providers:
  - name: demo
    type: mock
  - name: openai
    type: openai
    max_in_flight: abc
)");
  check_error(e, 6, 20, "providers[1].max_in_flight", "must be a positive integer, got \"abc\"");
  CHECK(e.to_string() == "switchyard.yaml:6:20: providers[1].max_in_flight: must be a positive integer, got \"abc\"");
}

TEST_CASE("YAML syntax errors carry yaml-cpp's mark") {
  auto e = load_error("providers: [ { name: demo, type: mock }\nmodels: 1\n");
  CHECK(e.file == "switchyard.yaml");
  CHECK(e.line == 2);
  CHECK(e.column > 0);
  CHECK(e.key.empty());
  CHECK_THAT(e.message, Catch::StartsWith("YAML syntax error: "));

  auto tab = load_error("server:\n\tlisten: 127.0.0.1:1\n");
  CHECK(tab.line == 2);
  CHECK_THAT(tab.message, Catch::StartsWith("YAML syntax error: "));

  auto quote = load_error("storage: \"sqlite://x");
  CHECK(quote.line == 1);
  CHECK_THAT(quote.message, Catch::Contains("EOF in scalar"));
}

TEST_CASE("an empty file, a comment-only file and a non-mapping top level are errors") {
  for (std::string_view text : {std::string_view{""}, std::string_view{"   \n\n"},
                                std::string_view{"# only a comment\n"}}) {
    auto e = load_error(text);
    CHECK(e.line == 0);
    CHECK(e.key.empty());
    CHECK_THAT(e.message, Catch::Contains("the file is empty"));
  }
  auto scalar = load_error("hello\n");
  check_error(scalar, 1, 1, "", "the top level must be a mapping");
  auto list = load_error("- providers\n");
  check_error(list, 1, 1, "", "got a list");
}

TEST_CASE("a second YAML document is rejected") {
  auto e = load_error(with_models(minimal_providers) + "---\nproviders: []\n");
  CHECK(e.line == 9);
  CHECK_THAT(e.message, Catch::Contains("more than one YAML document"));
}

TEST_CASE("unknown keys are errors, with a suggestion for near misses") {
  SECTION("top level") {
    auto e = load_error(R"(provider:
  - name: demo
    type: mock
)");
    check_error(e, 1, 1, "provider", "unknown key (did you mean \"providers\"?)");
    CHECK_THAT(e.message, Catch::Contains("valid keys here: server, storage, counters, cluster, providers, models, tenants"));
  }
  SECTION("in a provider") {
    auto e = load_error(R"(providers:
  - name: demo
    type: mock
    max_inflight: 3
)");
    check_error(e, 4, 5, "providers[0].max_inflight", "did you mean \"max_in_flight\"?");
  }
  SECTION("in the server section") {
    auto e = load_error(R"(server:
  listen: 127.0.0.1:8080
  port: 8080
)");
    check_error(e, 3, 3, "server.port", "unknown key");
  }
  SECTION("in a flow-style target") {
    auto e = load_error(std::string{minimal_providers} + R"(models:
  - name: demo-chat
    targets:
      - { provider: demo, modle: demo-1 }
)");
    check_error(e, 7, 27, "models[0].targets[0].modle", "did you mean \"model\"?");
  }
  SECTION("in mock settings") {
    auto e = load_error(R"(providers:
  - name: demo
    type: mock
    mock:
      latency: 5
)");
    check_error(e, 5, 7, "providers[0].mock.latency", "did you mean \"latency_ms\"?");
  }
  SECTION("in a tenant, with no close match") {
    auto e = with_models(minimal_providers) + R"(tenants:
  - name: dev
    keys: [ sk-dev-local ]
    spend_cap: 5
)";
    check_error(load_error(e), 11, 5, "tenants[0].spend_cap", "valid keys here: name, keys, allowed_models");
    CHECK_THAT(load_error(e).message, !Catch::Contains("did you mean"));
  }
}

TEST_CASE("a key repeated in one mapping is an error") {
  auto e = load_error(R"(providers:
  - name: demo
    type: mock
    name: other
)");
  check_error(e, 4, 5, "providers[0].name", "duplicate key (first set on line 2)");
}

TEST_CASE("values of the wrong type name what was expected and what was found") {
  SECTION("providers as a mapping") {
    auto e = load_error("providers:\n  demo: mock\n");
    check_error(e, 2, 3, "providers", "must be a list of providers, got a mapping");
  }
  SECTION("server as a list") {
    auto e = load_error("server: [ 1, 2 ]\n");
    check_error(e, 1, 9, "server", "must be a mapping, got a list");
  }
  SECTION("a provider entry that is a string") {
    auto e = load_error("providers:\n  - demo\n");
    check_error(e, 2, 5, "providers[0]", "must be a mapping, got \"demo\"");
  }
  SECTION("a number that is a list") {
    auto e = load_error(R"(providers:
  - name: demo
    type: mock
    max_in_flight: [ 1 ]
)");
    check_error(e, 4, 20, "providers[0].max_in_flight", "must be a positive integer, got a list");
  }
  SECTION("a name that is a mapping") {
    auto e = load_error("providers:\n  - name: { a: b }\n    type: mock\n");
    check_error(e, 2, 11, "providers[0].name", "must be a name, got a mapping");
  }
  SECTION("tenant keys given as one string") {
    auto e = load_error(with_models(minimal_providers) + "tenants:\n  - name: dev\n    keys: sk-dev-local\n");
    check_error(e, 10, 11, "tenants[0].keys", "must be a list of keys");
    CHECK_THAT(e.message, !Catch::Contains("sk-dev-local"));
  }
  SECTION("an empty value points at its key") {
    auto e = load_error("providers:\n  - name: demo\n    type:\n");
    check_error(e, 3, 5, "providers[0].type", "must be a provider type, got nothing");
  }
  SECTION("a non-scalar mapping key") {
    auto e = load_error("? [ a, b ]\n: 1\n");
    CHECK(e.line == 1);
    CHECK_THAT(e.message, Catch::Contains("keys must be plain strings"));
  }
}

TEST_CASE("missing required keys are named with their full path") {
  SECTION("providers") {
    auto e = load_error(minimal_models);
    check_error(e, 1, 1, "providers", "is required");
  }
  SECTION("models") {
    auto e = load_error(minimal_providers);
    check_error(e, 1, 1, "models", "is required");
  }
  SECTION("providers[].name") {
    auto e = load_error("providers:\n  - type: mock\n");
    check_error(e, 2, 5, "providers[0].name", "is required");
  }
  SECTION("providers[].type") {
    auto e = load_error("providers:\n  - name: demo\n  - name: other\n    max_in_flight: 2\n");
    check_error(e, 2, 5, "providers[0].type", "is required; one of: mock, openai, openai-compatible");
  }
  SECTION("base_url for openai-compatible") {
    auto e = load_error("providers:\n  - name: local\n    type: openai-compatible\n");
    check_error(e, 2, 5, "providers[0].base_url", "is required for type openai-compatible");
  }
  SECTION("models[].name") {
    auto e = load_error(std::string{minimal_providers} + "models:\n  - targets: [ { provider: demo, model: m } ]\n");
    check_error(e, 5, 5, "models[0].name", "is required");
  }
  SECTION("models[].targets") {
    auto e = load_error(std::string{minimal_providers} + "models:\n  - name: demo-chat\n");
    check_error(e, 5, 5, "models[0].targets", "is required");
  }
  SECTION("models[].targets[].provider") {
    auto e = load_error(std::string{minimal_providers} + "models:\n  - name: demo-chat\n    targets:\n      - model: demo-1\n");
    check_error(e, 7, 9, "models[0].targets[0].provider", "is required");
  }
  SECTION("models[].targets[].model") {
    auto e = load_error(std::string{minimal_providers} + "models:\n  - name: demo-chat\n    targets: [ { provider: demo } ]\n");
    check_error(e, 6, 16, "models[0].targets[0].model", "is required");
  }
  SECTION("tenants[].keys") {
    auto e = load_error(with_models(minimal_providers) + "tenants:\n  - name: dev\n");
    check_error(e, 9, 5, "tenants[0].keys", "is required");
  }
}

TEST_CASE("lists that must not be empty") {
  check_error(load_error("providers: []\n"), 1, 12, "providers", "at least one provider");
  check_error(load_error(std::string{minimal_providers} + "models: []\n"), 4, 9, "models", "at least one model");
  check_error(load_error(std::string{minimal_providers} + "models:\n  - name: m\n    targets: []\n"), 6, 14,
              "models[0].targets", "at least one target");
  check_error(load_error(with_models(minimal_providers) + "tenants:\n  - name: dev\n    keys: []\n"), 10, 11,
              "tenants[0].keys", "at least one key");
}

TEST_CASE("duplicate provider, model and tenant names") {
  SECTION("providers") {
    auto e = load_error(R"(providers:
  - name: demo
    type: mock
  - name: demo
    type: openai
)");
    check_error(e, 4, 11, "providers[1].name", "duplicate provider name \"demo\" (first defined on line 2)");
  }
  SECTION("models") {
    auto e = load_error(std::string{minimal_providers} + R"(models:
  - name: chat
    targets: [ { provider: demo, model: a } ]
  - name: chat
    targets: [ { provider: demo, model: b } ]
)");
    check_error(e, 7, 11, "models[1].name", "duplicate model name \"chat\" (first defined on line 5)");
  }
  SECTION("tenants") {
    auto e = load_error(with_models(minimal_providers) + R"(tenants:
  - name: dev
    keys: [ sk-one-0001 ]
  - name: dev
    keys: [ sk-two-0002 ]
)");
    check_error(e, 11, 11, "tenants[1].name", "duplicate tenant name \"dev\" (first defined on line 9)");
  }
}

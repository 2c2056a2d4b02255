// Shared helpers for the config tests: a fake environment (tests never read the real one) and
// one-line loaders that REQUIRE success or failure.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <string_view>

#include "config/loader.hpp"

namespace switchyard::config::testing {

using env_map = std::map<std::string, std::string, std::less<>>;

/// An env_lookup over a fixed map.
inline env_lookup fake_env(env_map vars = {}) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end())
      return std::nullopt;
    return it->second;
  };
}

/// Loads `yaml` as "switchyard.yaml"; the load must succeed.
inline snapshot_ptr load_ok(std::string_view yaml, env_map vars = {}) {
  auto r = load_string(yaml, "switchyard.yaml", fake_env(std::move(vars)));
  if (!r.ok())
    FAIL("unexpected config error: " << r.error().to_string());
  return r.value();
}

/// Loads `yaml` as "switchyard.yaml"; the load must fail.
inline config_error load_error(std::string_view yaml, env_map vars = {}) {
  auto r = load_string(yaml, "switchyard.yaml", fake_env(std::move(vars)));
  if (r.ok())
    FAIL("expected a config error, but the load succeeded");
  INFO(r.error().to_string());
  return r.error();
}

/// The smallest valid document's sections, for tests that vary one part.
inline constexpr std::string_view minimal_providers = R"(providers:
  - name: demo
    type: mock
)";
inline constexpr std::string_view minimal_models = R"(models:
  - name: demo-chat
    targets:
      - { provider: demo, model: demo-1 }
)";

}  // namespace switchyard::config::testing

namespace switchyard::config::testing {

/// Checks where an error points and what it says. `column` 0 skips the column check.
inline void check_error(const config_error& e, int line, int column, std::string_view key,
                        std::string_view fragment) {
  INFO("error: " << e.to_string());
  CHECK(e.file == "switchyard.yaml");
  CHECK(e.line == line);
  if (column != 0)
    CHECK(e.column == column);
  CHECK(e.key == key);
  CHECK_THAT(e.message, Catch::Contains(std::string{fragment}));
}

/// `head` followed by the minimal models section.
inline std::string with_models(std::string_view head) {
  return std::string{head} + std::string{minimal_models};
}

}  // namespace switchyard::config::testing

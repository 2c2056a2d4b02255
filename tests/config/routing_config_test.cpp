// Routing configuration: provider data attributes, tenant data policies, model strategies and
// target weights, and their errors.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

std::string with_provider(std::string_view attributes) {
  return with_models("providers:\n  - name: demo\n    type: mock\n" + std::string{attributes});
}

std::string with_model(std::string_view model) {
  return std::string{minimal_providers} + "  - { name: two, type: mock }\nmodels:\n" +
         std::string{model};
}

// Line 9 is the tenant's first line.
std::string with_tenant(std::string_view tenant) {
  return with_models(minimal_providers) + "tenants:\n" + std::string{tenant};
}

}  // namespace

TEST_CASE("provider data attributes default to unknown and load when given") {
  auto plain = load_ok(with_provider(""));
  const auto& d = plain->providers[0];
  CHECK_FALSE(d.retains_prompts);
  CHECK_FALSE(d.trains_on_data);
  CHECK_FALSE(d.zdr);
  CHECK(d.region.empty());

  auto s = load_ok(
      with_provider("    retains_prompts: true\n    trains_on_data: true\n    region: us-east\n"));
  const auto& p = s->providers[0];
  CHECK(p.retains_prompts);
  CHECK(p.trains_on_data);
  CHECK(p.region == "us-east");
  CHECK(load_ok(with_provider("    zdr: true\n    region: eu\n"))->providers[0].zdr);
}

TEST_CASE("provider data attributes: errors") {
  check_error(load_error(with_provider("    zdr: yes please\n")), 4, 10, "providers[0].zdr",
              "must be true or false");
  check_error(load_error(with_provider("    region: EU\n")), 4, 13, "providers[0].region",
              "lowercase letters, digits or '-', e.g. eu or us-east, got \"EU\"");
  check_error(load_error(with_provider("    region: \"\"\n")), 4, 13, "providers[0].region",
              "got \"\"");
  check_error(load_error(with_provider("    region: [eu]\n")), 4, 13, "providers[0].region",
              "must be a region name");
  check_error(load_error(with_provider("    retains_prompts: true\n    zdr: true\n")), 5, 10,
              "providers[0].zdr", "contradicts retains_prompts: true");
}

TEST_CASE("tenant data policies load") {
  auto s = load_ok(with_tenant(R"(  - name: acme
    keys: [sk-acme-0123456789]
    policy: { deny_training: true, deny_retention: true, require_zdr: true, regions: [eu, ch] }
  - name: loose
    keys: [sk-loose-0123456789]
    policy:
)"));
  const auto& p = s->tenants[0].policy;
  CHECK(p.deny_training);
  CHECK(p.deny_retention);
  CHECK(p.require_zdr);
  CHECK(p.regions == std::vector<std::string>{"eu", "ch"});
  const auto& loose = s->tenants[1].policy;
  CHECK_FALSE(loose.deny_training);
  CHECK(loose.regions.empty());
}

TEST_CASE("tenant data policies: errors") {
  const std::string head = "  - name: acme\n    keys: [sk-acme-0123456789]\n";
  check_error(load_error(with_tenant(head + "    policy: { regions: [] }\n")), 11, 24,
              "tenants[0].policy.regions",
              "must list at least one region; omit regions to allow every region");
  check_error(load_error(with_tenant(head + "    policy: { regions: [eu, eu] }\n")), 11, 29,
              "tenants[0].policy.regions[1]", "region \"eu\" is listed twice");
  check_error(load_error(with_tenant(head + "    policy: { regions: [Europe] }\n")), 11, 25,
              "tenants[0].policy.regions[0]", "got \"Europe\"");
  check_error(load_error(with_tenant(head + "    policy: { deny_trainin: true }\n")), 11, 15,
              "tenants[0].policy.deny_trainin", "did you mean \"deny_training\"?");
  check_error(load_error(with_tenant(head + "    policy: { require_zdr: 1 }\n")), 11, 28,
              "tenants[0].policy.require_zdr", "must be true or false");
  check_error(load_error(with_tenant(head + "    policy: eu\n")), 11, 13, "tenants[0].policy",
              "must be a mapping");
}

TEST_CASE("model strategies and target weights") {
  auto s = load_ok(with_model(R"(  - name: a
    targets: [{ provider: demo, model: x }]
  - name: b
    strategy: weighted
    targets: [{ provider: demo, model: x, weight: 3 }, { provider: two, model: x, weight: 0.5 }]
  - { name: c, strategy: cost, targets: [{ provider: demo, model: x }] }
  - { name: d, strategy: latency, targets: [{ provider: demo, model: x }] }
  - { name: e, strategy: least-busy, targets: [{ provider: demo, model: x }] }
  - { name: f, strategy: ordered, targets: [{ provider: demo, model: x }] }
)"));
  CHECK(s->models[0].strategy == routing_strategy::ordered);
  CHECK(s->models[0].targets[0].weight == 1);
  CHECK(s->models[1].strategy == routing_strategy::weighted);
  CHECK(s->models[1].targets[0].weight == 3);
  CHECK(s->models[1].targets[1].weight == 0.5);
  CHECK(s->models[2].strategy == routing_strategy::cost);
  CHECK(s->models[3].strategy == routing_strategy::latency);
  CHECK(s->models[4].strategy == routing_strategy::least_busy);
  CHECK(s->models[5].strategy == routing_strategy::ordered);
  CHECK(to_string(routing_strategy::least_busy) == "least-busy");
}

TEST_CASE("model strategies and target weights: errors") {
  // Line 6 is the first model's first line.
  check_error(load_error(with_model(
                  "  - { name: a, strategy: fastest, targets: [{ provider: demo, model: x }] }\n")),
              6, 26, "models[0].strategy",
              "must be one of ordered, weighted, cost, latency, least-busy; got \"fastest\"");
  check_error(load_error(with_model(
                  "  - { name: a, targets: [{ provider: demo, model: x, weight: 2 }] }\n")),
              6, 54, "models[0].targets[0].weight",
              "is only used by strategy: weighted (this model's strategy is ordered)");
  check_error(load_error(with_model("  - { name: a, strategy: weighted, targets: [{ provider: "
                                    "demo, model: x, weight: 0 }] }\n")),
              6, 82, "models[0].targets[0].weight", "must be greater than 0");
  check_error(load_error(with_model("  - { name: a, strategy: weighted, targets: [{ provider: "
                                    "demo, model: x, weight: -1 }] }\n")),
              6, 82, "models[0].targets[0].weight", "must not be negative");
  check_error(load_error(with_model("  - { name: a, strategy: weighted, targets: [{ provider: "
                                    "demo, model: x, weight: 2000000 }] }\n")),
              6, 82, "models[0].targets[0].weight", "must be at most");
}

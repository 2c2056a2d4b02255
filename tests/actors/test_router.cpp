// The router as pure functions over a hand-built routing table: fallback models, the request's
// provider preferences, data policies and their errors, and every strategy with fixed figures
// and an injected random source.
#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <random>

#include "actors/data_policy.hpp"
#include "actors/router.hpp"
#include "actors/strategy.hpp"
#include "config/loader.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using protocols::gateway_error;
using protocols::provider_sort;
using protocols::routing_controls;

namespace {

// Five providers with distinct data attributes; `chat` is served by all of them, in order.
constexpr const char* base_yaml = R"(
providers:
  - { name: us-cheap, type: mock, region: us, retains_prompts: true, trains_on_data: true }
  - { name: eu-zdr, type: mock, region: eu, zdr: true }
  - { name: eu-keeps, type: mock, region: eu, retains_prompts: true }
  - { name: nowhere, type: mock }
  - { name: off, type: openai, api_key: "${UNSET_KEY_FOR_TEST}" }
models:
  - name: chat
    targets:
      - { provider: us-cheap, model: m1, input_usd_per_mtok: 1, output_usd_per_mtok: 2 }
      - { provider: eu-zdr, model: m2, input_usd_per_mtok: 5, output_usd_per_mtok: 10 }
      - { provider: eu-keeps, model: m3, input_usd_per_mtok: 3, output_usd_per_mtok: 1 }
      - { provider: nowhere, model: m4, input_usd_per_mtok: 0.5, output_usd_per_mtok: 50 }
  - name: backup
    max_attempts: 2
    targets:
      - { provider: eu-zdr, model: b1 }
  - name: secret
    targets:
      - { provider: eu-zdr, model: s1 }
  - name: disabled-only
    targets:
      - { provider: off, model: x }
  - name: floor-test:nitro
    targets:
      - { provider: nowhere, model: literal }
tenants:
  - { name: open, keys: [sk-open-0123456789] }
  - name: eu
    keys: [sk-eu-0123456789]
    policy: { regions: [eu] }
  - name: strict
    keys: [sk-strict-0123456789]
    allowed_models: [chat]
    policy: { deny_training: true, deny_retention: true, require_zdr: true, regions: [us] }
)";

config::snapshot_ptr load(const std::string& yaml) {
  auto r = config::load_string(yaml, "router-test.yaml",
                               [](std::string_view) { return std::optional<std::string>{}; });
  INFO((r.ok() ? std::string{} : r.error().to_string()));
  REQUIRE(r.ok());
  return r.value();
}

struct table_fixture {
  config::snapshot_ptr config;
  std::vector<std::shared_ptr<provider_stats>> stats;
  std::unique_ptr<routing_table> table;

  explicit table_fixture(const std::string& yaml = base_yaml) : config(load(yaml)) {
    for (const auto& p : config->providers) {
      auto s = std::make_shared<provider_stats>();
      s->name = p.name;
      s->limit = p.max_in_flight;
      stats.push_back(std::move(s));
    }
    table = std::make_unique<routing_table>(
        config, std::vector<caf::actor>(config->providers.size()), stats);
  }

  const config::tenant_config* tenant(const std::string& name) const {
    return config->find_tenant(name);
  }
  provider_stats& stats_of(const std::string& provider) {
    for (auto& s : stats)
      if (s->name == provider) return *s;
    throw std::logic_error("no provider " + provider);
  }
};

std::vector<std::string> providers_of(const plan& p) {
  std::vector<std::string> out;
  for (const auto* t : p.targets) out.push_back(t->provider->name);
  return out;
}

// A random source that hands out a fixed script, then 0.5 forever.
uniform_source scripted(std::vector<double> values) {
  auto queue = std::make_shared<std::deque<double>>(values.begin(), values.end());
  return [queue] {
    if (queue->empty()) return 0.5;
    const double v = queue->front();
    queue->pop_front();
    return v;
  };
}

using names = std::vector<std::string>;

}  // namespace

TEST_CASE("router: without controls the enabled targets come in configured order") {
  table_fixture fx;
  auto p = make_plan(*fx.table, "chat", fx.tenant("open"));
  REQUIRE_FALSE(p.error);
  CHECK(providers_of(p) == names{"us-cheap", "eu-zdr", "eu-keeps", "nowhere"});
  CHECK(p.max_attempts == 3);
}

TEST_CASE("router: unknown, forbidden and unserved models keep their errors") {
  table_fixture fx;
  CHECK(make_plan(*fx.table, "nope", fx.tenant("open")).error->code ==
        gateway_error::model_not_found);
  CHECK(make_plan(*fx.table, "secret", fx.tenant("strict")).error->code ==
        gateway_error::forbidden);
  auto off = make_plan(*fx.table, "disabled-only", fx.tenant("open"));
  REQUIRE(off.error);
  CHECK(off.error->code == gateway_error::no_healthy_target);
  CHECK(off.error->retry_after_s == 1u);
}

TEST_CASE("router: fallback models follow the primary, each with its attempts") {
  table_fixture fx;
  routing_controls c;
  c.fallback_models = {"backup"};
  plan_options o;
  o.controls = &c;
  auto p = make_plan(*fx.table, "chat", fx.tenant("open"), o);
  REQUIRE_FALSE(p.error);
  CHECK(providers_of(p) == names{"us-cheap", "eu-zdr", "eu-keeps", "nowhere", "eu-zdr"});
  CHECK(p.targets.back()->target->model == "b1");
  CHECK(p.max_attempts == 3 + 2);
  CHECK(p.chosen->model->name == "chat");

  SECTION("a fallback the primary's policy filter empties still serves") {
    c.only = {"eu-zdr"};
    auto q = make_plan(*fx.table, "chat", fx.tenant("open"), o);
    REQUIRE_FALSE(q.error);
    CHECK(providers_of(q) == names{"eu-zdr", "eu-zdr"});
  }
}

TEST_CASE("router: unknown fallback models are a 400 naming every one") {
  table_fixture fx;
  routing_controls c;
  c.fallback_models = {"backup", "ghost", "phantom"};
  plan_options o;
  o.controls = &c;
  auto p = make_plan(*fx.table, "chat", fx.tenant("open"), o);
  REQUIRE(p.error);
  CHECK(p.error->code == gateway_error::bad_request);
  CHECK(p.error->param == "models");
  CHECK_THAT(p.error->message, Catch::Contains("`ghost`, `phantom`"));
  CHECK_THAT(p.error->message, !Catch::Contains("backup"));
}

TEST_CASE("router: fallback models the tenant may not use are a 403 naming them") {
  table_fixture fx;
  routing_controls c;
  c.fallback_models = {"secret"};
  plan_options o;
  o.controls = &c;
  auto p = make_plan(*fx.table, "chat", fx.tenant("strict"), o);
  REQUIRE(p.error);
  CHECK(p.error->code == gateway_error::forbidden);
  CHECK(p.error->param == "models");
  CHECK_THAT(p.error->message, Catch::Contains("`secret`"));
}

TEST_CASE("router: provider.only, ignore and max_price filter targets") {
  table_fixture fx;
  routing_controls c;
  plan_options o;
  o.controls = &c;
  SECTION("only") {
    c.only = {"eu-keeps", "nowhere"};
    CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"eu-keeps", "nowhere"});
  }
  SECTION("ignore") {
    c.ignore = {"us-cheap", "eu-zdr"};
    CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"eu-keeps", "nowhere"});
  }
  SECTION("max_price: prompt and completion caps, both inclusive") {
    c.max_prompt_price = 3;
    c.max_completion_price = 10;
    CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"us-cheap", "eu-keeps"});
  }
  SECTION("nothing left is a 404 naming the preferences") {
    c.only = {"eu-zdr"};
    c.ignore = {"eu-zdr"};
    auto p = make_plan(*fx.table, "chat", nullptr, o);
    REQUIRE(p.error);
    CHECK(p.error->code == gateway_error::model_not_found);
    CHECK(p.error->param == "provider");
    CHECK_THAT(p.error->message, Catch::Contains("only `eu-zdr`") && Catch::Contains("ignore"));
  }
}

TEST_CASE("router: provider.order goes first; allow_fallbacks false keeps only it") {
  table_fixture fx;
  routing_controls c;
  c.order = {"nowhere", "ghost", "eu-zdr"};
  plan_options o;
  o.controls = &c;
  CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) ==
        names{"nowhere", "eu-zdr", "us-cheap", "eu-keeps"});
  c.allow_fallbacks = false;
  CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"nowhere", "eu-zdr"});

  SECTION("without order, no fallbacks means the first target only") {
    c.order.clear();
    CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"us-cheap"});
  }
  SECTION("an order naming no target and no fallbacks leaves nothing: 404") {
    c.order = {"ghost"};
    auto p = make_plan(*fx.table, "chat", nullptr, o);
    REQUIRE(p.error);
    CHECK(p.error->code == gateway_error::model_not_found);
    CHECK_THAT(p.error->message, Catch::Contains("without fallbacks"));
  }
}

TEST_CASE("router: the tenant's data policy picks only compliant providers") {
  table_fixture fx;
  auto p = make_plan(*fx.table, "chat", fx.tenant("eu"));
  REQUIRE_FALSE(p.error);
  CHECK(providers_of(p) == names{"eu-zdr", "eu-keeps"});  // `nowhere` has no region: excluded
}

TEST_CASE("router: no compliant provider is a 403 naming the policy") {
  table_fixture fx;
  auto p = make_plan(*fx.table, "chat", fx.tenant("strict"));
  REQUIRE(p.error);
  CHECK(p.error->code == gateway_error::forbidden);
  CHECK(protocols::http_status(p.error->code) == 403);
  CHECK_THAT(p.error->message,
             Catch::Contains("`chat`") &&
                 Catch::Contains("tenant `strict`'s data policy: deny_training, deny_retention, "
                                 "require_zdr, regions \xE2\x88\x88 {us}"));
}

TEST_CASE("router: the policy error wins over disabled providers and preferences") {
  table_fixture fx;
  routing_controls c;
  c.only = {"us-cheap"};
  plan_options o;
  o.controls = &c;
  // `eu` keeps eu-zdr and eu-keeps; `only` then removes both: the request's own doing, a 404.
  CHECK(make_plan(*fx.table, "chat", fx.tenant("eu"), o).error->code ==
        gateway_error::model_not_found);
  // `disabled-only` is served by a disabled provider with no region: the policy answers first.
  CHECK(make_plan(*fx.table, "disabled-only", fx.tenant("eu")).error->code ==
        gateway_error::forbidden);
}

TEST_CASE("router: the request's data_collection deny and zdr") {
  table_fixture fx;
  routing_controls c;
  plan_options o;
  o.controls = &c;
  c.deny_data_collection = true;
  CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"eu-zdr", "nowhere"});
  c.deny_data_collection = false;
  c.require_zdr = true;
  CHECK(providers_of(make_plan(*fx.table, "chat", nullptr, o)) == names{"eu-zdr"});
  c.only = {"us-cheap"};
  c.ignore = {};
  auto p = make_plan(*fx.table, "disabled-only", nullptr, o);
  REQUIRE(p.error);
  CHECK(p.error->code == gateway_error::forbidden);
  CHECK_THAT(p.error->message, Catch::Contains("the request's provider.zdr: true"));
}

TEST_CASE("router: a key's policy applies on top of the tenant's") {
  table_fixture fx;
  config::data_policy key;
  key.deny_retention = true;
  plan_options o;
  o.key_policy = &key;
  CHECK(providers_of(make_plan(*fx.table, "chat", fx.tenant("eu"), o)) == names{"eu-zdr"});
  key.regions = {"us"};
  auto p = make_plan(*fx.table, "chat", fx.tenant("eu"), o);
  REQUIRE(p.error);
  CHECK_THAT(p.error->message, Catch::Contains("the API key's data policy: deny_retention, "
                                               "regions \xE2\x88\x88 {us}"));
}

TEST_CASE("data policy: each clause against provider attributes") {
  config::provider_config prov;
  config::data_policy pol;
  CHECK(complies(prov, pol));
  prov.trains_on_data = true;
  pol.deny_training = true;
  CHECK_FALSE(complies(prov, pol));
  prov.trains_on_data = false;
  CHECK(complies(prov, pol));
  pol.deny_retention = true;
  prov.retains_prompts = true;
  CHECK_FALSE(complies(prov, pol));
  prov.retains_prompts = false;
  pol.require_zdr = true;
  CHECK_FALSE(complies(prov, pol));
  prov.zdr = true;
  CHECK(complies(prov, pol));
  pol.regions = {"eu", "ch"};
  CHECK_FALSE(complies(prov, pol));  // unknown region
  prov.region = "ch";
  CHECK(complies(prov, pol));
  prov.region = "us";
  CHECK_FALSE(complies(prov, pol));
  CHECK_FALSE(data_constraints{}.any());
}

TEST_CASE("router: :floor sorts by price, :nitro by throughput, an exact name wins") {
  table_fixture fx;
  plan_options o;
  o.prompt_tokens = 1000;
  o.max_tokens = 100;
  // Per request: us-cheap 0.0012, eu-zdr 0.006, eu-keeps 0.0031, nowhere 0.0055.
  auto floor = make_plan(*fx.table, "chat:floor", nullptr, o);
  REQUIRE_FALSE(floor.error);
  CHECK(providers_of(floor) == names{"us-cheap", "eu-keeps", "nowhere", "eu-zdr"});

  fx.stats_of("eu-keeps").latency.observe_tokens_per_s(90);
  fx.stats_of("nowhere").latency.observe_tokens_per_s(200);
  fx.stats_of("us-cheap").latency.observe_tokens_per_s(20);
  auto nitro = make_plan(*fx.table, "chat:nitro", nullptr, o);
  REQUIRE_FALSE(nitro.error);
  CHECK(providers_of(nitro) == names{"nowhere", "eu-keeps", "us-cheap", "eu-zdr"});

  auto literal = make_plan(*fx.table, "floor-test:nitro", nullptr, o);
  REQUIRE_FALSE(literal.error);
  CHECK(literal.targets.front()->target->model == "literal");
  CHECK(make_plan(*fx.table, "ghost:floor", nullptr, o).error->code ==
        gateway_error::model_not_found);

  SECTION("an explicit provider.sort beats the suffix") {
    routing_controls c;
    c.sort = provider_sort::price;
    o.controls = &c;
    CHECK(providers_of(make_plan(*fx.table, "chat:nitro", nullptr, o)).front() == "us-cheap");
  }
}

TEST_CASE("router: a model's strategy orders its targets") {
  table_fixture fx{R"(
providers:
  - { name: a, type: mock, max_in_flight: 10 }
  - { name: b, type: mock, max_in_flight: 100 }
  - { name: c, type: mock, max_in_flight: 4 }
models:
  - name: cost
    strategy: cost
    targets:
      - { provider: a, model: x, input_usd_per_mtok: 2, output_usd_per_mtok: 2 }
      - { provider: b, model: x, input_usd_per_mtok: 1, output_usd_per_mtok: 8 }
      - { provider: c, model: x, input_usd_per_mtok: 3, output_usd_per_mtok: 1 }
  - name: busy
    strategy: least-busy
    targets: [{ provider: a, model: x }, { provider: b, model: x }, { provider: c, model: x }]
  - name: fast
    strategy: latency
    targets: [{ provider: a, model: x }, { provider: b, model: x }, { provider: c, model: x }]
  - name: split
    strategy: weighted
    targets:
      - { provider: a, model: x, weight: 1 }
      - { provider: b, model: x, weight: 3 }
  - name: plain
    targets: [{ provider: c, model: x }, { provider: a, model: x }]
)"};
  plan_options o;
  SECTION("cost uses the request's estimated tokens") {
    o.prompt_tokens = 1000;
    o.max_tokens = 10;  // input dominates: b (1) < a (2) < c (3)
    CHECK(providers_of(make_plan(*fx.table, "cost", nullptr, o)) == names{"b", "a", "c"});
    o.prompt_tokens = 10;
    o.max_tokens = 1000;  // output dominates: c (1) < a (2) < b (8)
    CHECK(providers_of(make_plan(*fx.table, "cost", nullptr, o)) == names{"c", "a", "b"});
    o.max_tokens.reset();  // the default completion estimate counts as output
    o.prompt_tokens = 0;
    CHECK(providers_of(make_plan(*fx.table, "cost", nullptr, o)) == names{"c", "a", "b"});
  }
  SECTION("least-busy compares in-flight relative to each limit") {
    fx.stats_of("a").in_flight = 5;   // 50%
    fx.stats_of("b").in_flight = 20;  // 20%
    fx.stats_of("c").in_flight = 1;   // 25%
    CHECK(providers_of(make_plan(*fx.table, "busy", nullptr, o)) == names{"b", "c", "a"});
    fx.stats_of("b").in_flight = 100;
    CHECK(providers_of(make_plan(*fx.table, "busy", nullptr, o)) == names{"c", "a", "b"});
  }
  SECTION("latency: unmeasured first, then lowest time to first token") {
    uniform_source no_explore = scripted({0.9});
    o.random = &no_explore;
    fx.stats_of("a").latency.observe_ttft_ms(300);
    fx.stats_of("c").latency.observe_ttft_ms(100);
    CHECK(providers_of(make_plan(*fx.table, "fast", nullptr, o)) == names{"b", "c", "a"});
    fx.stats_of("b").latency.observe_ttft_ms(200);
    no_explore = scripted({0.9});
    CHECK(providers_of(make_plan(*fx.table, "fast", nullptr, o)) == names{"c", "b", "a"});
    SECTION("with probability 5% a random other target goes first") {
      uniform_source explore = scripted({0.01, 0.99});  // explore, pick the last other
      o.random = &explore;
      CHECK(providers_of(make_plan(*fx.table, "fast", nullptr, o)) == names{"a", "c", "b"});
      explore = scripted({0.01, 0.0});  // explore, pick the first other
      CHECK(providers_of(make_plan(*fx.table, "fast", nullptr, o)) == names{"b", "c", "a"});
      explore = scripted({0.05});  // at the threshold: no exploration
      CHECK(providers_of(make_plan(*fx.table, "fast", nullptr, o)) == names{"c", "b", "a"});
    }
  }
  SECTION("weighted: first place in proportion to weight") {
    uniform_source rng = [gen = std::mt19937_64{42}]() mutable {
      return std::uniform_real_distribution<double>(0, 1)(gen);
    };
    o.random = &rng;
    int b_first = 0;
    constexpr int n = 4000;
    for (int i = 0; i < n; ++i) {
      auto p = make_plan(*fx.table, "split", nullptr, o);
      REQUIRE(p.targets.size() == 2);  // every target stays, as a fallback
      if (p.targets.front()->provider->name == "b") ++b_first;
    }
    CHECK(b_first == Approx(n * 0.75).margin(n * 0.03));
  }
  SECTION("ordered keeps the configured order") {
    CHECK(providers_of(make_plan(*fx.table, "plain", nullptr, o)) == names{"c", "a"});
  }
  SECTION("provider.sort latency and throughput put unmeasured targets last") {
    routing_controls c;
    o.controls = &c;
    c.sort = provider_sort::latency;
    fx.stats_of("c").latency.observe_ttft_ms(50);
    fx.stats_of("a").latency.observe_ttft_ms(70);
    CHECK(providers_of(make_plan(*fx.table, "plain", nullptr, o)) == names{"c", "a"});
    CHECK(providers_of(make_plan(*fx.table, "busy", nullptr, o)) == names{"c", "a", "b"});
    c.sort = provider_sort::throughput;
    fx.stats_of("b").latency.observe_tokens_per_s(10);
    CHECK(providers_of(make_plan(*fx.table, "busy", nullptr, o)) == names{"b", "a", "c"});
  }
}

TEST_CASE("latency estimate: first sample seeds, later ones blend by alpha") {
  latency_estimate e;
  CHECK(e.ttft_ms() == 0);
  e.observe_ttft_ms(100);
  CHECK(e.ttft_ms() == Approx(100));
  e.observe_ttft_ms(200);
  CHECK(e.ttft_ms() == Approx(100 + latency_estimate::alpha * 100));
  e.observe_ttft_ms(-1);  // ignored
  e.observe_ttft_ms(std::nan(""));
  CHECK(e.ttft_ms() == Approx(120));
  e.observe_tokens_per_s(50);
  CHECK(e.tokens_per_s() == Approx(50));
}

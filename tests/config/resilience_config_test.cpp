// Resilience settings: providers' circuit, retry_budget, hedge_budget and max_cooldown_ms;
// models' hedge, timeouts and retry_backoff — values, defaults and every error.
#include <catch2/catch.hpp>

#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;
using namespace std::chrono_literals;

namespace {

// Line 4 of the document is `    <line>` on the provider.
std::string with_provider(std::string_view line) {
  return with_models("providers:\n  - name: demo\n    type: mock\n    " + std::string{line} + "\n");
}

// Line 7 of the document is `    <line>` on the model (max_attempts 3).
std::string with_model(std::string_view line) {
  return std::string{minimal_providers} +
         "models:\n  - name: demo-chat\n    max_attempts: 3\n    " + std::string{line} +
         "\n    targets:\n      - { provider: demo, model: demo-1 }\n";
}

}  // namespace

TEST_CASE("provider resilience settings are read") {
  auto s = load_ok(with_models(R"(providers:
  - name: demo
    type: mock
    circuit: { consecutive_failures: 3, error_rate: 0.25, min_requests: 50, window_ms: 5000,
               base_ejection_ms: 500, max_ejection_ms: 8000, half_open_probes: 2 }
    retry_budget: { percent: 10, min_retries: 5, window_ms: 2000 }
    hedge_budget: { max_tokens: 4, token_ratio: 0.05 }
    max_cooldown_ms: 1500
)"));
  const auto& p = s->providers.at(0);
  CHECK(p.circuit.consecutive_failures == 3);
  CHECK(p.circuit.error_rate == Approx(0.25));
  CHECK(p.circuit.min_requests == 50);
  CHECK(p.circuit.window == 5000ms);
  CHECK(p.circuit.base_ejection == 500ms);
  CHECK(p.circuit.max_ejection == 8000ms);
  CHECK(p.circuit.half_open_probes == 2);
  CHECK(p.retry_budget.percent == Approx(10));
  CHECK(p.retry_budget.min_retries == 5);
  CHECK(p.retry_budget.window == 2000ms);
  CHECK(p.hedge_budget.max_tokens == Approx(4));
  CHECK(p.hedge_budget.token_ratio == Approx(0.05));
  CHECK(p.max_cooldown == 1500ms);
}

TEST_CASE("resilience settings have defaults and hedging is off unless configured") {
  auto s = load_ok(with_models(std::string{minimal_providers}));
  const auto& p = s->providers.at(0);
  CHECK(p.circuit.consecutive_failures == 5);
  CHECK(p.circuit.base_ejection == 1000ms);
  CHECK(p.circuit.max_ejection == 4000ms);
  CHECK(p.retry_budget.percent == Approx(20));
  CHECK(p.retry_budget.min_retries == 3);
  const auto& m = s->models.at(0);
  CHECK_FALSE(m.hedge.has_value());
  CHECK_FALSE(m.timeouts.total.has_value());
  CHECK(m.retry_backoff.base == 25ms);
  CHECK(m.retry_backoff.max == 1000ms);
}

TEST_CASE("model hedge, timeouts and retry_backoff are read") {
  auto fixed = load_ok(with_model("hedge: { after: 150, max: 2 }"));
  REQUIRE(fixed->models.at(0).hedge);
  CHECK_FALSE(fixed->models.at(0).hedge->after_p95);
  CHECK(fixed->models.at(0).hedge->after == 150ms);
  CHECK(fixed->models.at(0).hedge->max == 2);
  auto p95 = load_ok(with_model("hedge: { after: p95 }"));
  REQUIRE(p95->models.at(0).hedge);
  CHECK(p95->models.at(0).hedge->after_p95);
  CHECK(p95->models.at(0).hedge->max == 1);
  auto t = load_ok(
      with_model("timeouts: { connect_ms: 100, first_token_ms: 2000, idle_ms: 300, total_ms: 0 }"));
  const auto& mt = t->models.at(0).timeouts;
  CHECK(mt.connect == 100ms);
  CHECK(mt.first_byte == 2000ms);
  CHECK(mt.idle == 300ms);
  CHECK(mt.total == 0ms);
  auto b = load_ok(with_model("retry_backoff: { base_ms: 10, max_ms: 40 }"));
  CHECK(b->models.at(0).retry_backoff.base == 10ms);
  CHECK(b->models.at(0).retry_backoff.max == 40ms);
}

TEST_CASE("bad circuit, budget and cooldown values are refused with their key") {
  check_error(load_error(with_provider("circuit: { error_rate: 1.5 }")), 4, 0,
              "providers[0].circuit.error_rate", "must be at most 1");
  check_error(
      load_error(with_provider("circuit: { base_ejection_ms: 5000, max_ejection_ms: 1000 }")), 4, 0,
      "providers[0].circuit.max_ejection_ms", "must be at least base_ejection_ms (5000)");
  check_error(load_error(with_provider("circuit: { half_open_probes: 0 }")), 4, 0,
              "providers[0].circuit.half_open_probes", "must be a positive integer");
  check_error(load_error(with_provider("circuit: { window_ms: 10 }")), 4, 0,
              "providers[0].circuit.window_ms", "must be at least 100");
  check_error(load_error(with_provider("circuit: { consecutive: 3 }")), 4, 0,
              "providers[0].circuit.consecutive", "consecutive_failures");
  check_error(load_error(with_provider("retry_budget: { percent: 120 }")), 4, 0,
              "providers[0].retry_budget.percent", "must be at most 100");
  check_error(load_error(with_provider("hedge_budget: { token_ratio: -1 }")), 4, 0,
              "providers[0].hedge_budget.token_ratio", "must not be negative, got -1");
  check_error(load_error(with_provider("max_cooldown_ms: forever")), 4, 0,
              "providers[0].max_cooldown_ms", "non-negative integer");
}

TEST_CASE("bad hedge, timeouts and backoff values are refused with their key") {
  check_error(load_error(with_model("hedge: { after: p99 }")), 7, 0, "models[0].hedge.after",
              "must be p95 or a delay in milliseconds, e.g. 200, got \"p99\"");
  check_error(load_error(with_model("hedge: { after: 0 }")), 7, 0, "models[0].hedge.after",
              "must be a positive integer");
  check_error(load_error(with_model("hedge: { max: 1 }")), 7, 0, "models[0].hedge.after",
              "is required");
  check_error(load_error(with_model("hedge: { after: 100, max: 3 }")), 7, 0, "models[0].hedge.max",
              "max_attempts (3) must be greater than the hedges (3)");
  check_error(load_error(with_model("hedge: { after: 100, max: 4 }")), 7, 0, "models[0].hedge.max",
              "must be at most 3");
  check_error(load_error(with_model("timeouts: { first_byte_ms: 10 }")), 7, 0,
              "models[0].timeouts.first_byte_ms", "first_token_ms");
  check_error(load_error(with_model("timeouts: { idle_ms: -5 }")), 7, 0,
              "models[0].timeouts.idle_ms", "non-negative integer");
  check_error(load_error(with_model("retry_backoff: { base_ms: 100, max_ms: 50 }")), 7, 0,
              "models[0].retry_backoff.max_ms", "must be at least base_ms (100)");
}

// Tenant and key budgets, rate limits, labels, key mappings and expiry; UTC periods and RFC 3339.
#include <catch2/catch.hpp>

#include "config/budget_period.hpp"
#include "config_test_support.hpp"

using namespace switchyard::config;
using namespace switchyard::config::testing;

namespace {

constexpr std::string_view two_models = R"(providers:
  - name: demo
    type: mock
models:
  - name: demo-chat
    targets:
      - { provider: demo, model: demo-1 }
  - name: demo-big
    targets:
      - { provider: demo, model: demo-2 }
tenants:
)";

// Line 12 is the first line of `tenants`.
std::string tenants(std::string_view body) {
  return std::string{two_models} + std::string{body};
}

wall_time at(std::string_view s) {
  auto t = parse_rfc3339_utc(s);
  REQUIRE(t);
  return *t;
}

}  // namespace

TEST_CASE("tenant budget, rate limits and labels are read") {
  auto s = load_ok(tenants(R"(  - name: team-a
    keys: [ sk-a-0001 ]
    budget: { usd: 50, period: daily, soft_threshold: 0.9 }
    rpm: 600
    tpm: 100000
    labels: { cost-center: "R&D 42", env: prod }
)"));
  const auto& t = s->tenants[0];
  REQUIRE(t.limits.budget);
  CHECK(t.limits.budget->usd == 50);
  CHECK(t.limits.budget->period == budget_period::daily);
  CHECK(t.limits.budget->soft_threshold == 0.9);
  CHECK(t.limits.rpm == 600);
  CHECK(t.limits.tpm == 100000);
  CHECK(t.labels == std::map<std::string, std::string>{{"cost-center", "R&D 42"}, {"env", "prod"}});
}

TEST_CASE("a budget defaults to monthly with a 0.8 soft threshold; no limits by default") {
  auto s = load_ok(tenants("  - name: a\n    keys: [ sk-a-0001 ]\n    budget: { usd: 0.5 }\n"));
  const auto& b = *s->tenants[0].limits.budget;
  CHECK(b.period == budget_period::monthly);
  CHECK(b.soft_threshold == 0.8);
  auto none = load_ok(tenants("  - name: a\n    keys: [ sk-a-0001 ]\n"));
  CHECK_FALSE(none->tenants[0].limits.budget);
  CHECK(none->tenants[0].limits.rpm == 0);
  CHECK(none->tenants[0].limits.tpm == 0);
}

TEST_CASE("absurd budgets, unknown periods and thresholds outside (0,1] are refused") {
  const std::string head = "  - name: a\n    keys: [ sk-a-0001 ]\n    budget: ";
  check_error(load_error(tenants(head + "{ usd: -5 }\n")), 14, 20, "tenants[0].budget.usd",
              "must not be negative, got -5");
  check_error(load_error(tenants(head + "{ usd: 0 }\n")), 14, 20, "tenants[0].budget.usd",
              "must be more than 0");
  check_error(load_error(tenants(head + "{ usd: 2e9 }\n")), 14, 20, "tenants[0].budget.usd",
              "must be at most 1e+09");
  check_error(load_error(tenants(head + "{ usd: lots }\n")), 14, 20, "tenants[0].budget.usd",
              "must be a non-negative number");
  check_error(load_error(tenants(head + "{ usd: 5, period: yearly }\n")), 14, 31,
              "tenants[0].budget.period",
              "unknown budget period \"yearly\"; valid periods: daily, weekly, monthly, total");
  check_error(load_error(tenants(head + "{ usd: 5, soft_threshold: 0 }\n")), 14, 39,
              "tenants[0].budget.soft_threshold", "must be more than 0 and at most 1");
  check_error(load_error(tenants(head + "{ usd: 5, soft_threshold: 1.5 }\n")), 14, 39,
              "tenants[0].budget.soft_threshold", "must be at most 1");
  check_error(load_error(tenants(head + "{ period: daily }\n")), 14, 13, "tenants[0].budget.usd",
              "is required");
  check_error(load_error(tenants(head + "{ usd: 5, limit: 3 }\n")), 14, 23,
              "tenants[0].budget.limit", "unknown key");
  check_error(load_error(tenants(head + "50\n")), 14, 13, "tenants[0].budget", "must be a mapping");
}

TEST_CASE("rate limits are non-negative integers within bounds") {
  const std::string head = "  - name: a\n    keys: [ sk-a-0001 ]\n";
  check_error(load_error(tenants(head + "    rpm: -1\n")), 14, 10, "tenants[0].rpm",
              "must be a non-negative integer");
  check_error(load_error(tenants(head + "    rpm: 1.5\n")), 14, 10, "tenants[0].rpm",
              "must be a non-negative integer");
  check_error(load_error(tenants(head + "    rpm: 10000001\n")), 14, 10, "tenants[0].rpm",
              "must be at most 10000000");
  check_error(load_error(tenants(head + "    tpm: 1000000001\n")), 14, 10, "tenants[0].tpm",
              "must be at most 1000000000");
}

TEST_CASE("labels are a small mapping of names to single-line strings") {
  const std::string head = "  - name: a\n    keys: [ sk-a-0001 ]\n";
  check_error(load_error(tenants(head + "    labels: [ a ]\n")), 14, 13, "tenants[0].labels",
              "must be a mapping of label name to value");
  check_error(load_error(tenants(head + "    labels: { \"bad name\": x }\n")), 14, 15,
              "tenants[0].labels.bad name", "label names must be");
  check_error(load_error(tenants(head + "    labels: { a: \"x\\ny\" }\n")), 14, 18,
              "tenants[0].labels.a", "without control characters");
  std::string many = "    labels: {";
  for (int i = 0; i < 33; ++i) many += (i ? ", l" : " l") + std::to_string(i) + ": v";
  check_error(load_error(tenants(head + many + " }\n")), 14, 13, "tenants[0].labels",
              "at most 32 labels, got 33");
}

TEST_CASE("a key may be a mapping with its own limits, models, labels and expiry") {
  auto s = load_ok(tenants(R"(  - name: a
    allowed_models: [ demo-chat, demo-big ]
    keys:
      - sk-plain-0001
      - key: sk-ci-0002
        name: ci runner
        budget: { usd: 5, period: weekly }
        rpm: 60
        tpm: 6000
        allowed_models: [ demo-chat ]
        labels: { team: ci }
        expires_at: 2027-01-31T12:30:00Z
)"));
  const auto& keys = s->tenants[0].keys;
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].name.empty());
  CHECK_FALSE(keys[0].expires_at);
  const auto& k = keys[1];
  CHECK(k.prefix == "sk-ci-00\xE2\x80\xA6");
  CHECK(k.name == "ci runner");
  REQUIRE(k.limits.budget);
  CHECK(k.limits.budget->usd == 5);
  CHECK(k.limits.budget->period == budget_period::weekly);
  CHECK(k.limits.rpm == 60);
  CHECK(k.limits.tpm == 6000);
  CHECK(k.allowed_models == std::vector<std::string>{"demo-chat"});
  CHECK(k.labels.at("team") == "ci");
  REQUIRE(k.expires_at);
  CHECK(format_rfc3339_utc(*k.expires_at) == "2027-01-31T12:30:00Z");
}

TEST_CASE("key mappings are checked: the key itself, models within the tenant's, expiry") {
  check_error(load_error(tenants("  - name: a\n    keys:\n      - { name: x }\n")), 14, 9,
              "tenants[0].keys[0].key", "is required");
  check_error(
      load_error(tenants("  - name: a\n    keys:\n      - { key: sk-a-0001, colour: red }\n")), 14,
      27, "tenants[0].keys[0].colour", "unknown key");
  check_error(
      load_error(tenants(R"(  - name: a
    allowed_models: [ demo-chat ]
    keys:
      - { key: sk-a-0001, allowed_models: [ demo-big ] }
)")),
      15, 45, "tenants[0].keys[0].allowed_models[0]",
      "model \"demo-big\" is not allowed for tenant \"a\"; a key may only narrow the tenant's "
      "allowed_models: demo-chat");
  check_error(
      load_error(tenants(
          "  - name: a\n    keys:\n      - { key: sk-a-0001, allowed_models: [ nope ] }\n")),
      14, 45, "tenants[0].keys[0].allowed_models[0]", "unknown model \"nope\"");
  check_error(load_error(tenants("  - name: a\n    keys:\n      - { key: sk-a-0001, expires_at: "
                                 "2027-02-30T00:00:00Z }\n")),
              14, 39, "tenants[0].keys[0].expires_at", "must be an RFC 3339 UTC time");
  check_error(load_error(tenants("  - name: a\n    keys:\n      - { key: sk-a-0001, expires_at: "
                                 "\"2027-01-01T00:00:00+02:00\" }\n")),
              14, 39, "tenants[0].keys[0].expires_at", "must be an RFC 3339 UTC time");
  check_error(load_error(tenants(
                  "  - name: a\n    keys:\n      - { key: sk-a-0001, budget: { usd: -1 } }\n")),
              14, 42, "tenants[0].keys[0].budget.usd", "must not be negative");
  // The same key twice, once as a string and once in a mapping.
  check_error(
      load_error(
          tenants("  - name: a\n    keys:\n      - sk-a-0001\n      - { key: sk-a-0001 }\n")),
      15, 16, "tenants[0].keys[1].key", "duplicate key: the same key as tenants[0].keys[0]");
}

TEST_CASE("a key error never shows the key") {
  auto e =
      load_error(tenants("  - name: a\n    keys:\n      - { key: \"sk-secret with space\" }\n"));
  CHECK_THAT(e.to_string(), !Catch::Contains("sk-secret"));
}

TEST_CASE("periods start at UTC boundaries") {
  const auto t = at("2026-11-25T13:45:10Z");  // a Wednesday
  CHECK(format_rfc3339_utc(period_start(budget_period::daily, t)) == "2026-11-25T00:00:00Z");
  CHECK(format_rfc3339_utc(period_end(budget_period::daily, t)) == "2026-11-26T00:00:00Z");
  CHECK(format_rfc3339_utc(period_start(budget_period::weekly, t)) == "2026-11-23T00:00:00Z");
  CHECK(format_rfc3339_utc(period_end(budget_period::weekly, t)) == "2026-11-30T00:00:00Z");
  CHECK(format_rfc3339_utc(period_start(budget_period::monthly, t)) == "2026-11-01T00:00:00Z");
  CHECK(format_rfc3339_utc(period_end(budget_period::monthly, t)) == "2026-12-01T00:00:00Z");
  CHECK(period_start(budget_period::total, t) == wall_time{});
  CHECK(period_end(budget_period::total, t) == wall_time::max());
  // Year and week edges: Sunday belongs to the week that began on Monday.
  const auto dec = at("2026-12-31T23:59:59Z");
  CHECK(format_rfc3339_utc(period_end(budget_period::monthly, dec)) == "2027-01-01T00:00:00Z");
  CHECK(format_rfc3339_utc(period_start(budget_period::weekly, at("2026-11-29T23:00:00Z"))) ==
        "2026-11-23T00:00:00Z");
  CHECK(format_rfc3339_utc(period_start(budget_period::weekly, at("2026-11-30T00:00:00Z"))) ==
        "2026-11-30T00:00:00Z");
}

TEST_CASE("RFC 3339 UTC parsing is strict") {
  CHECK(parse_rfc3339_utc("2026-01-02T03:04:05.123Z"));
  CHECK(parse_rfc3339_utc("2026-01-02t03:04:05z"));
  CHECK(parse_rfc3339_utc("2028-02-29T00:00:00Z"));
  for (std::string_view bad :
       {"2026-01-02T03:04:05", "2026-01-02 03:04:05Z", "2027-02-29T00:00:00Z",
        "2026-13-01T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:60Z", "1969-12-31T23:59:59Z", "2026-01-01T00:00:00.Z",
        "2026-01-01T00:00:00+00:00", "", "2026-1-01T00:00:00Z"}) {
    INFO(bad);
    CHECK_FALSE(parse_rfc3339_utc(bad));
  }
}

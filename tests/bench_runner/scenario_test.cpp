// Scenario files of the benchmark runner: the shipped ones parse, every field lands where it
// should, and every kind of bad file gives an error that names the file, line, column and key.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "bench/runner/scenario.hpp"

using namespace switchyard::bench;

namespace {

std::string error_of(const std::string& yaml) {
  auto r = parse_scenario(yaml, "s.yaml");
  return r ? std::string() : r.error();
}

const char* minimal = R"(systems: [direct]
mocks:
  - name: m
loads:
  - name: l
    rate: 10
)";

std::filesystem::path scenarios_dir() {
  return std::filesystem::path(SWITCHYARD_SOURCE_DIR) / "bench" / "scenarios";
}

}  // namespace

TEST_CASE("scenario: every shipped scenario parses") {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(scenarios_dir())) {
    if (e.path().extension() != ".yaml") continue;
    auto r = load_scenario(e.path().string());
    INFO(e.path().string());
    REQUIRE(r.ok());
    CHECK(r.value().name == e.path().stem().string());
    ++n;
  }
  CHECK(n >= 7);
  // The five that must run now need no later issue; the two others say which one they need.
  for (const char* name : {"overhead", "failover", "overload", "streams-10k", "hedging"}) {
    auto r = load_scenario((scenarios_dir() / (std::string(name) + ".yaml")).string());
    REQUIRE(r.ok());
    CHECK(r.value().requires_features.empty());
  }
  for (const char* name : {"budget-contention", "cluster"}) {
    auto r = load_scenario((scenarios_dir() / (std::string(name) + ".yaml")).string());
    REQUIRE(r.ok());
    REQUIRE(r.value().requires_features.size() == 1);
    CHECK(r.value().requires_features[0].issue > 0);
  }
}

TEST_CASE("scenario: a full file fills every field") {
  auto r = parse_scenario(R"(
name: full
description: a test
requires:
  - { issue: 5, feature: hedging }
systems:
  - direct
  - nginx
  - switchyard
  - portkey
  - { name: staging, base_url: "https://gw.example/v1", model: gpt-4o-mini, api_key_env: STAGING_KEY,
      headers: { x-team: bench } }
mocks:
  - name: primary
    threads: 2
    latency: { dist: lognormal, median_ms: 20, sigma: 0.3, tail_share: 0.01, tail_ms: 700 }
    ttft_ms: 5
    tokens_per_second: 40
    reply_tokens: 32
    max_concurrency: 8
    errors: [ { status: 429, share: 0.1, retry_after: 1 }, { kind: reset, share: 0.05 } ]
    phases:
      - { from_s: 1, to_s: 2, status: 503 }
      - { from_s: 3, to_s: 4, down: true, label: gone }
      - { from_s: 4, to_s: 5, latency: 300, tokens_per_second: 1 }
  - name: secondary
    latency: 7
gateway:
  server: { io_threads: 1 }
  provider: { max_in_flight: 100 }
  model: { max_attempts: 2 }
  tenant: { allowed_models: [bench] }
  nodes: 2
loads:
  - { name: open, rate: 250.5, arrival: poisson, duration_s: 5, warmup_s: 1, stream_share: 0.5,
      max_tokens: 8, include_usage: false, connections: 64, threads: 2, timeout_ms: 3000, prompt_bytes: "100=3,4000=1" }
  - { name: shut, closed: 16, duration_s: 5 }
memory: { max_bytes_per_stream: 32768 }
)",
                          "full.yaml");
  REQUIRE(r.ok());
  const auto& s = r.value();
  CHECK(s.name == "full");
  CHECK(s.requires_features[0].issue == 5);
  REQUIRE(s.systems.size() == 5);
  CHECK(s.systems[2].kind == system_kind::switchyard);
  CHECK(s.systems[4].kind == system_kind::external);
  CHECK(s.systems[4].headers == std::vector<std::string>{"x-team: bench"});
  CHECK(s.uses_switchyard());
  const auto& m = s.mocks[0];
  CHECK(m.threads == 2);
  CHECK(m.latency.lognormal);
  CHECK(m.latency.ms == 20);
  CHECK(m.latency.tail_ms == 700);
  CHECK(m.max_concurrency == 8);
  REQUIRE(m.errors.size() == 2);
  CHECK(m.errors[0].retry_after_s == 1u);
  CHECK(m.errors[1].kind == "reset");
  REQUIRE(m.phases.size() == 3);
  CHECK(*m.phases[0].status == 503);
  CHECK(m.phases[1].down);
  CHECK(m.phases[1].label == "gone");
  CHECK(m.phases[2].latency->ms == 300);
  CHECK(s.mocks[1].latency.ms == 7);
  CHECK(s.gateway.nodes == 2);
  CHECK(s.gateway.provider["max_in_flight"].as<int>() == 100);
  CHECK(*s.loads[0].rate == 250.5);
  CHECK(s.loads[0].arrival == "poisson");
  CHECK_FALSE(s.loads[0].include_usage);
  CHECK(*s.loads[1].closed == 16);
  CHECK(s.loads[1].max_in_flight() == 16);
  CHECK(s.memory.enabled);
  CHECK(*s.memory.max_bytes_per_stream == 32768);
  CHECK(s.longest_load_s() == 6);
}

TEST_CASE("scenario: the name defaults to the file's") {
  auto r = parse_scenario(minimal, "dir/my-scenario.yaml");
  REQUIRE(r.ok());
  CHECK(r.value().name == "my-scenario");
  CHECK_FALSE(r.value().uses_switchyard());
  CHECK(r.value().loads[0].duration_s == 10);
}

TEST_CASE("scenario: unknown keys are errors with the position and a suggestion") {
  CHECK(error_of(std::string(minimal) + "lodas: []\n") ==
        "s.yaml:7:1: lodas: unknown key (did you mean \"loads\"?); valid keys here: name, "
        "description, "
        "requires, systems, mocks, gateway, loads, memory");
  CHECK(error_of(R"(systems: [direct]
mocks:
  - name: m
    latencyy: 5
loads: [{name: l, rate: 1}]
)") == "s.yaml:4:5: mocks[0].latencyy: unknown key (did you mean \"latency\"?); valid keys here: "
       "name, "
       "threads, latency, ttft_ms, tokens_per_second, reply_tokens, max_concurrency, errors, "
       "phases");
  CHECK(error_of(R"(systems: [direct]
mocks: [{name: m}]
loads: [{name: l, rate: 1, durationn_s: 3}]
)")
            .rfind("s.yaml:3:28: loads[0].durationn_s: unknown key (did you mean \"duration_s\"?)",
                   0) == 0);
}

TEST_CASE("scenario: bad values say what was expected") {
  auto with_load = [](const std::string& load) {
    return error_of("systems: [direct]\nmocks: [{name: m}]\nloads:\n  - " + load + "\n");
  };
  CHECK(with_load("{name: l}") ==
        "s.yaml:4:5: loads[0]: give exactly one of rate (open loop, requests per second) and "
        "closed (workers)");
  CHECK(with_load("{name: l, rate: 5, closed: 3}") ==
        "s.yaml:4:5: loads[0]: give exactly one of rate (open loop, requests per second) and "
        "closed (workers)");
  CHECK(with_load("{name: l, rate: fast}") ==
        "s.yaml:4:21: loads[0].rate: expected a number, got \"fast\"");
  CHECK(with_load("{name: l, rate: 0}") ==
        "s.yaml:4:21: loads[0].rate: must be from 0.001 to 1e+07, got 0");
  CHECK(with_load("{name: l, closed: 2.5}") ==
        "s.yaml:4:23: loads[0].closed: expected a whole number, got \"2.5\"");
  CHECK(with_load("{name: l, rate: 1, stream_share: 2}") ==
        "s.yaml:4:38: loads[0].stream_share: must be from 0 to 1, got 2");
  CHECK(with_load("{name: l, rate: 1, arrival: bursty}") ==
        "s.yaml:4:33: loads[0].arrival: expected constant or poisson");
  CHECK(with_load("{name: l, closed: 4, connections: 9}") ==
        "s.yaml:4:39: loads[0].connections: only for an open loop (closed uses one per worker)");
  CHECK(with_load("{name: l, rate: 1, include_usage: yes}") ==
        "s.yaml:4:39: loads[0].include_usage: expected true or false, got \"yes\"");
  CHECK(with_load("{name: 'a b', rate: 1}") ==
        "s.yaml:4:12: loads[0].name: \"a b\" is not a name (1-48 letters, digits, - and _)");
  CHECK(with_load("{name: l, rate: 1, right_after: k}") ==
        "s.yaml:4:37: loads[0].right_after: the first load cannot follow another");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m}]\nloads:\n  - {name: a, rate: 1}\n  - "
                 "{name: b, rate: 1}\n  - {name: c, rate: 1, right_after: a}\n") ==
        "s.yaml:6:37: loads[2].right_after: must name the load just before this one (\"b\"), got "
        "\"a\"");
  auto ok = parse_scenario(
      "systems: [direct]\nmocks: [{name: m}]\nloads: [{name: a, rate: 1}, {name: b, rate: 1, "
      "right_after: a}]\n",
      "s.yaml");
  REQUIRE(ok.ok());
  CHECK(ok.value().loads[1].right_after == "a");
}

TEST_CASE("scenario: bad systems, mocks and phases are caught") {
  CHECK(error_of("systems: [direkt]\nmocks: [{name: m}]\nloads: [{name: l, rate: 1}]\n")
            .rfind("s.yaml:1:11: systems[0]: unknown system \"direkt\"; expected direct, nginx, "
                   "switchyard, switchyard-metrics-off, portkey",
                   0) == 0);
  CHECK(error_of("systems: [direct, direct]\nmocks: [{name: m}]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:1:19: systems[1]: system \"direct\" is listed twice");
  CHECK(error_of("systems: [{name: x, base_url: ftp://h, model: m}]\nmocks: [{name: m}]\nloads: "
                 "[{name: l, rate: 1}]\n") ==
        "s.yaml:1:31: systems[0].base_url: must start with http:// or https://");
  CHECK(error_of("systems: [direct]\nmocks: []\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:2:8: mocks: expected a non-empty list");
  CHECK(error_of("systems: [direct]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:1:1: mocks: missing: at least one mock upstream");
  CHECK(
      error_of("systems: [direct]\nmocks: [{name: m}, {name: m}]\nloads: [{name: l, rate: 1}]\n") ==
      "s.yaml:2:27: mocks[1].name: duplicate mock name \"m\"");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, latency: {dist: lognormal, median_ms: "
                 "5}}]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:2:28: mocks[0].latency.sigma: missing: a lognormal needs its shape (e.g. 0.5)");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, errors: [{status: 503, share: 0.7}, {kind: "
                 "reset, share: 0.4}]}]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:2:76: mocks[0].errors[1].share: the shares add up to more than 1");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, errors: [{kind: reset, status: 500, share: "
                 "0.1}]}]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:2:50: mocks[0].errors[0].status: only valid for kind status");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, phases: [{from_s: 5, to_s: 2, status: "
                 "503}]}]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:2:46: mocks[0].phases[0].to_s: must be after from_s");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, phases: [{from_s: 1, to_s: 2}]}]\nloads: "
                 "[{name: l, rate: 1}]\n") ==
        "s.yaml:2:28: mocks[0].phases[0]: does nothing: give down: true, status, errors, latency "
        "or tokens_per_second");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, phases: [{from_s: 1, to_s: 2, down: true, "
                 "status: 500}]}]\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:2:28: mocks[0].phases[0]: a down phase stops the mock; it cannot also set status, "
        "errors, latency or tokens_per_second");
  // A phase must end inside every load, or the mock would still be down when the next one starts.
  CHECK(error_of("systems: [direct]\nmocks: [{name: m, phases: [{from_s: 1, to_s: 20, down: "
                 "true}]}]\nloads: [{name: l, rate: 1, duration_s: 10, warmup_s: 2}]\n") ==
        "s.yaml:2:46: mocks[0].phases[0].to_s: ends at 20 s, after load \"l\" ends (12 s with its "
        "warm-up)");
  CHECK(error_of("systems: [direct]\nmocks: [{name: m}]\ngateway: {provider: {max_in_flight: "
                 "4}}\nloads: [{name: l, rate: 1}]\n") ==
        "s.yaml:3:10: gateway: set, but switchyard is not among the systems");
}

TEST_CASE("scenario: YAML syntax errors and empty files") {
  CHECK(error_of("systems: [direct\n").rfind("s.yaml:2:1: YAML syntax error:", 0) == 0);
  CHECK(error_of("") == "s.yaml: the file is empty");
  CHECK(error_of("- a\n- b\n") == "s.yaml:1:1: expected a mapping");
  CHECK(load_scenario("/nonexistent/x.yaml").error() ==
        "/nonexistent/x.yaml: cannot read the scenario file (does it exist?)");
}

TEST_CASE("scenario: error mixes become rules that give each entry its share of all requests") {
  std::vector<error_share> mix(3);
  mix[0].status = 429;
  mix[0].share = 0.5;
  mix[1].kind = "reset";
  mix[1].share = 0.25;
  mix[2].status = 503;
  mix[2].share = 0.25;
  mix[2].retry_after_s = 2;
  auto rules = error_mix_rules(mix);
  REQUIRE(rules.size() == 3);
  CHECK(rules[0] == R"({"kind":"status","status":429,"probability":0.5})");
  // After half the requests took the first rule, a quarter of all is half of the rest...
  CHECK(rules[1] == R"({"kind":"reset","probability":0.5})");
  // ...and the last quarter is all of what is left.
  CHECK(rules[2] == R"({"kind":"status","status":503,"retry_after":2,"probability":1})");
}

TEST_CASE("scenario: mock arguments carry the latency, tail, faults and phases") {
  auto r = parse_scenario(R"(systems: [direct]
mocks:
  - name: m
    latency: { dist: lognormal, median_ms: 20, sigma: 0.5, tail_share: 0.02, tail_ms: 400 }
    tokens_per_second: 10
    max_concurrency: 4
    errors: [{ status: 503, share: 0.1 }]
    phases: [{ from_s: 1, to_s: 2, down: true }, { from_s: 2, to_s: 3, errors: [{kind: cut, share: 1}] }]
loads: [{ name: l, rate: 1, duration_s: 5 }]
)",
                          "s.yaml");
  REQUIRE(r.ok());
  auto a = mock_arguments(r.value().mocks[0]);
  auto after = [&](const std::string& flag) {
    for (std::size_t i = 0; i + 1 < a.size(); ++i) {
      if (a[i] == flag) return a[i + 1];
    }
    return std::string("<none>");
  };
  CHECK(after("--latency") == "lognormal:20:0.5");
  CHECK(after("--tail") == "0.02:400");
  CHECK(after("--tokens-per-second") == "10");
  CHECK(after("--max-concurrency") == "4");
  CHECK(after("--fault") == R"({"kind":"status","status":503,"probability":0.1})");
  CHECK(after("--phase") == R"({"from_s":1,"to_s":2,"down":true})");
  CHECK(phase_json(r.value().mocks[0].phases[1]) ==
        R"({"from_s":2,"to_s":3,"faults":[{"kind":"cut","probability":1}]})");
  CHECK(describe(r.value().loads[0]) ==
        "open loop, 1 req/s (constant) for 5 s, no streams, max_tokens 16");
}

// Mock-provider scenarios without sockets: latency models (parsing and the distributions they
// draw), timed phases (parsing, what applies when, down edges) and the --max-concurrency gate.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/mock_provider/capacity_gate.hpp"
#include "bench/mock_provider/timeline.hpp"

using namespace switchyard::mock;
using namespace std::chrono_literals;

namespace {

rapidjson::Document json(const char* text) {
  rapidjson::Document d;
  d.Parse(text);
  return d;
}

std::string latency_error(const char* text) {
  auto d = json(text);
  auto r = parse_latency_model(d, "latency");
  return r ? std::string() : r.error();
}

std::string phases_error(const char* text) {
  auto r = parse_phases(text);
  return r ? std::string() : r.error();
}

}  // namespace

TEST_CASE("timeline: latency models parse from JSON and from the command-line spec") {
  auto d = json(R"({"dist":"lognormal","ms":50,"sigma":0.5,"tail_share":0.01,"tail_ms":1000})");
  auto m = parse_latency_model(d, "latency");
  REQUIRE(m.ok());
  CHECK(m.value().kind == latency_model::dist::lognormal);
  CHECK(m.value().ms == 50);
  CHECK(m.value().sigma == 0.5);
  CHECK(m.value().tail_share == 0.01);
  CHECK(m.value().tail_ms == 1000);
  CHECK_FALSE(m.value().constant());

  auto f = json(R"({"ms":20})");
  auto fixed = parse_latency_model(f, "latency");
  REQUIRE(fixed.ok());
  CHECK(fixed.value().kind == latency_model::dist::fixed);
  CHECK(fixed.value().constant());

  auto spec = parse_latency_spec("lognormal:40:0.25");
  REQUIRE(spec.ok());
  CHECK(spec.value().ms == 40);
  CHECK(spec.value().sigma == 0.25);
  CHECK(parse_latency_spec("fixed:7").value().ms == 7);
}

TEST_CASE("timeline: bad latency models name the key") {
  CHECK(latency_error(R"({"dist":"normal","ms":5})") ==
        "latency.dist: expected \"fixed\" or \"lognormal\"");
  CHECK(latency_error(R"({"dist":"fixed"})") == "latency.ms: missing (the fixed or median wait)");
  CHECK(latency_error(R"({"ms":-1})") == "latency.ms: expected a number from 0 to 3.6e+06");
  CHECK(latency_error(R"({"ms":5,"sigma":1})") ==
        "latency.sigma: only valid with \"dist\": \"lognormal\"");
  CHECK(latency_error(R"({"dist":"lognormal","ms":5})") ==
        "latency.sigma: missing; a lognormal needs its shape (e.g. 0.5)");
  CHECK(latency_error(R"({"ms":5,"tail_share":0.1})") ==
        "latency.tail_ms: missing; a heavy tail needs both tail_share and tail_ms");
  CHECK(latency_error(R"({"ms":5,"tail_share":1.5,"tail_ms":3})") ==
        "latency.tail_share: expected a number from 0 to 1");
  CHECK(latency_error(R"({"ms":5,"median":3})") ==
        "latency.median: unknown key; valid keys: dist, ms, sigma, tail_share, tail_ms");
  CHECK_FALSE(parse_latency_spec("lognormal:40").ok());
  CHECK_FALSE(parse_latency_spec("fixed:abc").ok());
  CHECK_FALSE(parse_latency_spec("pareto:1:2").ok());
}

TEST_CASE("timeline: a lognormal draws around its median and the tail slows its share") {
  latency_model m;
  m.kind = latency_model::dist::lognormal;
  m.ms = 50;
  m.sigma = 0.5;
  std::mt19937_64 rng(7);
  std::vector<std::uint32_t> draws;
  for (int i = 0; i < 20000; ++i) draws.push_back(m.sample(rng));
  std::sort(draws.begin(), draws.end());
  // The median of a lognormal is exp(mu) = 50 ms; its 84th percentile is 50 * e^0.5 = 82 ms.
  CHECK(draws[10000] >= 48);
  CHECK(draws[10000] <= 52);
  CHECK(draws[16827] >= 78);
  CHECK(draws[16827] <= 86);

  latency_model tail;
  tail.ms = 10;
  tail.tail_share = 0.05;
  tail.tail_ms = 1000;
  int slow = 0;
  for (int i = 0; i < 20000; ++i) {
    auto v = tail.sample(rng);
    REQUIRE((v == 10 || v == 1010));
    slow += v == 1010;
  }
  CHECK(slow > 850);
  CHECK(slow < 1150);
}

TEST_CASE("timeline: phases parse, with the status shorthand and nested faults") {
  auto r = parse_phases(
      R"([{"from_s":10,"to_s":20,"status":503},
          {"from_s":15,"to_s":25,"down":true},
          {"from_s":0,"to_s":5,"latency":{"ms":200},"tokens_per_second":2,
           "faults":[{"kind":"reset","probability":0.5}]}])");
  REQUIRE(r.ok());
  const auto& p = r.value();
  REQUIRE(p.size() == 3);
  REQUIRE(p[0].faults.size() == 1);
  CHECK(p[0].faults[0].kind == fault_kind::status);
  CHECK(p[0].faults[0].status == 503);
  CHECK(p[1].down);
  CHECK(p[2].latency->ms == 200);
  CHECK(*p[2].tokens_per_second == 2);
  CHECK(p[2].faults[0].kind == fault_kind::reset);
  // One object works too, and to_json gives back a form that parses to the same phase.
  auto one = parse_phases(to_json(p[2]));
  REQUIRE(one.ok());
  CHECK(to_json(one.value()[0]) == to_json(p[2]));
}

TEST_CASE("timeline: bad phases are rejected with the key at fault") {
  CHECK(phases_error(R"({"to_s":3,"status":500})") ==
        "phase.from_s: missing (seconds from the clock's start)");
  CHECK(phases_error(R"({"from_s":3,"to_s":3,"status":500})") ==
        "phase.to_s: must be after from_s");
  CHECK(phases_error(R"({"from_s":1,"to_s":3})") ==
        "phase: does nothing; give down: true, latency, tokens_per_second, status or faults");
  CHECK(phases_error(R"({"from_s":1,"to_s":3,"down":true,"status":503})") ==
        "phase: a down phase closes the listener; it cannot also set latency, tokens_per_second, "
        "status or faults");
  CHECK(phases_error(R"({"from_s":1,"to_s":3,"status":200})") ==
        "phase.status: expected an integer from 400 to 599");
  CHECK(phases_error(R"([{"from_s":1,"to_s":3,"faults":[{"kind":"boom"}]}])") ==
        "phases[0].faults[0].kind: unknown kind \"boom\"; expected one of status, hang, reset, "
        "cut, slow_first_token, delay");
  CHECK(phases_error(R"({"from_s":1,"to_s":3,"stauts":500})") ==
        "phase.stauts: unknown key; valid keys: from_s, to_s, down, latency, tokens_per_second, "
        "status, faults");
  CHECK(phases_error("{").rfind("phase: not valid JSON", 0) == 0);
}

TEST_CASE("timeline: what applies depends on the time since the clock's origin") {
  latency_model base;
  base.ms = 5;
  auto phases = parse_phases(
      R"([{"from_s":10,"to_s":20,"status":503},
          {"from_s":12,"to_s":14,"latency":{"ms":300},"tokens_per_second":3},
          {"from_s":30,"to_s":40,"down":true}])");
  REQUIRE(phases.ok());
  timeline t(1, base, 100, phases.value());
  auto origin = timeline::clock::now();
  t.restart(origin);
  auto at = [&](double s) {
    return origin +
           std::chrono::duration_cast<timeline::clock::duration>(std::chrono::duration<double>(s));
  };

  CHECK(t.plan(at(1)).latency_ms == 5);
  CHECK(t.plan(at(1)).tokens_per_second == 100);
  CHECK_FALSE(t.pick_fault(false, at(1)));
  auto f = t.pick_fault(true, at(10));
  REQUIRE(f);
  CHECK(f->status == 503);
  CHECK(t.plan(at(13)).latency_ms == 300);
  CHECK(t.plan(at(13)).tokens_per_second == 3);
  CHECK(t.plan(at(14)).latency_ms == 5);  // a window ends before its to_s
  CHECK_FALSE(t.pick_fault(false, at(20)));

  CHECK_FALSE(t.down_at(at(29.9)));
  CHECK(t.down_at(at(30)));
  CHECK_FALSE(t.down_at(at(40)));
  CHECK(*t.next_down_edge(at(0)) == at(30));
  CHECK(*t.next_down_edge(at(30)) == at(40));
  CHECK_FALSE(t.next_down_edge(at(40)));

  // Restarting the clock moves every window with it.
  t.restart(at(100));
  CHECK_FALSE(t.down_at(at(130 - 0.5)));
  CHECK(t.down_at(at(131)));
}

TEST_CASE("timeline: a phase's fault rules keep their own counts") {
  auto phases = parse_phases(
      R"({"from_s":0,"to_s":100,"faults":[{"kind":"status","status":429,"count":2}]})");
  REQUIRE(phases.ok());
  timeline t(1, latency_model{}, 0, phases.value());
  t.restart();
  CHECK(t.pick_fault(false));
  CHECK(t.pick_fault(true));
  CHECK_FALSE(t.pick_fault(false));
}

TEST_CASE("capacity_gate: admits up to its slots, then hands slots over in arrival order") {
  capacity_gate gate(2);
  std::vector<int> granted;
  CHECK(gate.acquire_or_wait([&] { granted.push_back(1); }));
  CHECK(gate.acquire_or_wait([&] { granted.push_back(2); }));
  CHECK_FALSE(gate.acquire_or_wait([&] { granted.push_back(3); }));
  CHECK_FALSE(gate.acquire_or_wait([&] { granted.push_back(4); }));
  CHECK(gate.in_use() == 2);
  CHECK(gate.waiting() == 2);
  gate.release();
  CHECK(granted == std::vector<int>{3});
  CHECK(gate.in_use() == 2);
  gate.release();
  gate.release();
  CHECK(granted == std::vector<int>{3, 4});
  CHECK(gate.in_use() == 1);
  CHECK(gate.waiting() == 0);

  capacity_gate unlimited(0);
  CHECK_FALSE(unlimited.limited());
  for (int i = 0; i < 1000; ++i) CHECK(unlimited.acquire_or_wait([] {}));
}

TEST_CASE("capacity_gate: abandoning waiters releases what they hold, without granting them") {
  capacity_gate gate(1);
  auto held = std::make_shared<int>(7);
  bool granted = false;
  CHECK(gate.acquire_or_wait([] {}));
  CHECK_FALSE(gate.acquire_or_wait([held, &granted] { granted = true; }));
  CHECK(held.use_count() == 2);
  gate.abandon_waiters();
  CHECK(held.use_count() == 1);
  CHECK(gate.waiting() == 0);
  gate.release();
  CHECK_FALSE(granted);
  CHECK(gate.in_use() == 0);
}

// Ejections shared across nodes: an own ejection is announced to the listener with its length;
// an external one opens the circuit for that long without being announced again or lengthening
// the node's own ejection multiplier, and never shortens a longer own ejection.
#include <catch2/catch.hpp>

#include <vector>

#include "actors/provider_health.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using namespace std::chrono_literals;

namespace {

config::provider_config provider() {
  config::provider_config p;
  p.name = "p";
  p.circuit.consecutive_failures = 2;
  p.circuit.base_ejection = 1s;
  p.circuit.max_ejection = 10s;
  p.circuit.half_open_probes = 1;
  return p;
}

void fail_once(provider_health& h, clock::time_point now) {
  const bool probe = h.start_attempt(now);
  h.finish_attempt(now, probe, health_outcome::failure);
}

}  // namespace

TEST_CASE("ejection broadcast: an own ejection is announced with its length") {
  manual_clock clk;
  provider_health h;
  h.configure(provider());
  std::vector<clock::duration> announced;
  h.on_eject([&](clock::duration d) { announced.push_back(d); });
  fail_once(h, clk.now());
  CHECK(announced.empty());
  fail_once(h, clk.now());
  REQUIRE(announced.size() == 1);
  CHECK(announced[0] == 1s);
  CHECK(h.state() == circuit_state::open);
}

TEST_CASE("ejection broadcast: an external ejection opens the circuit for its length") {
  manual_clock clk;
  provider_health h;
  h.configure(provider());
  std::vector<clock::duration> announced;
  h.on_eject([&](clock::duration d) { announced.push_back(d); });
  h.eject_external(clk.now(), 2s);
  CHECK(announced.empty());  // not broadcast again
  CHECK(h.state() == circuit_state::open);
  CHECK_FALSE(h.available(clk.now()));
  CHECK(h.external_ejections_total.load() == 1);
  CHECK(h.ejections_total.load() == 0);
  clk.advance(1999ms);
  CHECK_FALSE(h.available(clk.now()));
  clk.advance(1ms);
  CHECK(h.available(clk.now()));  // probed as after an own ejection
  // A successful probe closes it.
  const bool probe = h.start_attempt(clk.now());
  CHECK(probe);
  h.finish_attempt(clk.now(), probe, health_outcome::success);
  CHECK(h.state() == circuit_state::closed);
  // The node's own multiplier did not grow: its next own ejection is the base length.
  fail_once(h, clk.now());
  fail_once(h, clk.now());
  REQUIRE(announced.size() == 1);
  CHECK(announced[0] == 1s);
}

TEST_CASE("ejection broadcast: an external ejection never shortens a longer one") {
  manual_clock clk;
  provider_health h;
  h.configure(provider());
  h.eject_external(clk.now(), 5s);
  h.eject_external(clk.now(), 1s);  // shorter: ignored
  CHECK(h.external_ejections_total.load() == 1);
  clk.advance(2s);
  CHECK_FALSE(h.available(clk.now()));
  h.eject_external(clk.now(), 0s);  // nothing
  CHECK(h.external_ejections_total.load() == 1);
  CHECK(h.available_at() == clock::time_point{} + 5s);
}

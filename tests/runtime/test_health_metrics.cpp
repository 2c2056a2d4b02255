// The providers' resilience families: every series from the start, and live values read from
// `provider_stats::health` at scrape time.
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/gateway.hpp"
#include "runtime/metrics.hpp"
#include "test_ingress_harness.hpp"

using namespace switchyard;
using namespace std::chrono_literals;

namespace {

double sample(const std::string& text, const std::string& series) {
  auto pos = text.find("\n" + series + " ");
  if (pos == std::string::npos) return -1;
  pos += series.size() + 2;
  return std::stod(text.substr(pos, text.find('\n', pos) - pos));
}

}  // namespace

TEST_CASE("resilience metrics exist from the start and follow provider health", "[metrics]") {
  auto cfg = test::make_ingress_config();
  cfg->providers[0].circuit.consecutive_failures = 2;
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  actors::gateway gw{sys, cfg, actors::gateway::ports{}};
  runtime::metrics m{*cfg};
  m.attach(&gw, nullptr);

  auto text = m.scrape();
  CHECK(sample(text, R"(switchyard_provider_circuit_state{provider="p1"})") == 0);
  CHECK(sample(text, R"(switchyard_provider_ejections_total{provider="p1"})") == 0);
  CHECK(sample(text, R"(switchyard_provider_retries_total{provider="p1"})") == 0);
  CHECK(sample(text, R"(switchyard_provider_failovers_total{provider="p1"})") == 0);
  CHECK(sample(text, R"(switchyard_provider_retries_denied_total{provider="p1"})") == 0);
  for (const char* outcome : {"won", "lost", "throttled"})
    CHECK(sample(text, std::string{R"(switchyard_provider_hedges_total{provider="p1",outcome=")"} +
                           outcome + "\"}") == 0);
  for (const char* reason :
       {"connect", "connect_timeout", "first_byte_timeout", "idle_timeout", "total_timeout",
        "upstream_status", "reset", "protocol", "empty_stream"})
    CHECK(
        sample(text,
               std::string{R"(switchyard_provider_upstream_errors_total{provider="p1",reason=")"} +
                   reason + "\"}") == 0);
  // Not upstream errors: no series.
  CHECK(text.find(R"(reason="cancelled")") == std::string::npos);
  CHECK(text.find(R"(reason="lost_race")") == std::string::npos);
  CHECK(text.find("# TYPE switchyard_provider_circuit_state gauge") != std::string::npos);
  CHECK(text.find("# TYPE switchyard_provider_hedges_total counter") != std::string::npos);
  // No estimate before 20 answers: NaN (prometheus-cpp spells it "Nan").
  const bool nan_estimate =
      text.find(R"(switchyard_provider_ttfb_estimate_seconds{provider="p1"} Nan)") !=
          std::string::npos ||
      text.find(R"(switchyard_provider_ttfb_estimate_seconds{provider="p1"} NaN)") !=
          std::string::npos;
  CHECK(nan_estimate);

  auto& h = gw.provider_stats_list()[0]->health;
  const actors::clock::time_point now{};
  for (int i = 0; i < 2; ++i)
    h.finish_attempt(now, h.start_attempt(now), actors::health_outcome::failure);
  for (int i = 0; i < 20; ++i) h.finish_attempt(now, false, actors::health_outcome::neutral);
  h.upstream_errors_total[static_cast<std::size_t>(actors::attempt_failure::reset)] += 2;
  text = m.scrape();
  CHECK(sample(text, R"(switchyard_provider_circuit_state{provider="p1"})") == 1);
  CHECK(sample(text, R"(switchyard_provider_ejections_total{provider="p1"})") == 1);
  CHECK(sample(text,
               R"(switchyard_provider_upstream_errors_total{provider="p1",reason="reset"})") == 2);
}

TEST_CASE("the TTFB estimate is exported in seconds", "[metrics]") {
  auto cfg = test::make_ingress_config();
  caf::actor_system_config sys_cfg;
  caf::actor_system sys{sys_cfg};
  actors::gateway gw{sys, cfg, actors::gateway::ports{}};
  runtime::metrics m{*cfg};
  m.attach(&gw, nullptr);
  auto& h = gw.provider_stats_list()[0]->health;
  const actors::clock::time_point now{};
  for (int i = 0; i < 40; ++i) h.finish_attempt(now, false, actors::health_outcome::success, 100ms);
  const double v =
      sample(m.scrape(), R"(switchyard_provider_ttfb_estimate_seconds{provider="p1"})");
  CHECK(v >= 0.1);
  CHECK(v < 0.12);
}

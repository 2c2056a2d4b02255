// Provider health as pure logic on a manual clock: circuit transitions, error-rate ejection,
// half-open probes, the ejection multiplier, Retry-After cooldowns, the retry budget, hedge
// tokens, the TTFB quantile, backoff and the plan's health filter.
#include <catch2/catch.hpp>

#include "actors/backoff.hpp"
#include "actors/health_filter.hpp"
#include "actors/health_ticket.hpp"
#include "actors/provider_health.hpp"
#include "actors/ttfb_estimator.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using namespace std::chrono_literals;

namespace {

config::provider_config provider(std::uint32_t consecutive = 5, double rate = 0) {
  config::provider_config p;
  p.name = "p";
  p.circuit.consecutive_failures = consecutive;
  p.circuit.error_rate = rate;
  p.circuit.min_requests = 10;
  p.circuit.window = 10s;
  p.circuit.base_ejection = 1s;
  p.circuit.max_ejection = 3s;
  p.circuit.half_open_probes = 1;
  return p;
}

// One attempt's whole life at `now`.
void attempt(provider_health& h, clock::time_point now, health_outcome o) {
  const bool probe = h.start_attempt(now);
  h.finish_attempt(now, probe, o);
}

}  // namespace

TEST_CASE("health: classify counts provider faults, not client errors or cancellations") {
  CHECK(classify(attempt_failure::none, 200, true) == health_outcome::success);
  CHECK(classify(attempt_failure::none, 400, true) == health_outcome::success);  // passed through
  CHECK(classify(attempt_failure::connect, 0, false) == health_outcome::failure);
  CHECK(classify(attempt_failure::first_byte_timeout, 0, false) == health_outcome::failure);
  CHECK(classify(attempt_failure::reset, 0, false) == health_outcome::failure);
  CHECK(classify(attempt_failure::upstream_status, 503, false) == health_outcome::failure);
  CHECK(classify(attempt_failure::upstream_status, 408, false) == health_outcome::failure);
  CHECK(classify(attempt_failure::upstream_status, 429, false) == health_outcome::neutral);
  CHECK(classify(attempt_failure::upstream_status, 401, false) == health_outcome::neutral);
  CHECK(classify(attempt_failure::cancelled, 0, false) == health_outcome::neutral);
  CHECK(classify(attempt_failure::lost_race, 0, false) == health_outcome::neutral);
}

TEST_CASE("health: consecutive failures eject, half-open probe success closes") {
  provider_health h;
  h.configure(provider(3));
  manual_clock c;
  attempt(h, c.now(), health_outcome::failure);
  attempt(h, c.now(), health_outcome::failure);
  attempt(h, c.now(), health_outcome::success);  // resets the run
  attempt(h, c.now(), health_outcome::failure);
  attempt(h, c.now(), health_outcome::failure);
  CHECK(h.state() == circuit_state::closed);
  attempt(h, c.now(), health_outcome::failure);
  CHECK(h.state() == circuit_state::open);
  CHECK(h.ejections_total == 1);
  CHECK_FALSE(h.available(c.now()));
  c.advance(999ms);
  CHECK_FALSE(h.available(c.now()));
  c.advance(1ms);
  CHECK(h.available(c.now()));
  // The first attempt after the ejection is the probe; while it runs nobody else may go.
  const bool probe = h.start_attempt(c.now());
  CHECK(probe);
  CHECK(h.state() == circuit_state::half_open);
  CHECK_FALSE(h.available(c.now()));
  CHECK_FALSE(h.start_attempt(c.now()));  // a racing request gets no second probe
  h.finish_attempt(c.now(), probe, health_outcome::success);
  CHECK(h.state() == circuit_state::closed);
  CHECK(h.available(c.now()));
}

TEST_CASE("health: a failed probe ejects again for longer, capped at max_ejection") {
  provider_health h;
  h.configure(provider(1));
  manual_clock c;
  attempt(h, c.now(), health_outcome::failure);
  REQUIRE(h.state() == circuit_state::open);
  CHECK(h.available_at() == c.now() + 1s);
  for (auto expected : {2s, 3s, 3s}) {  // base × ejections, capped at 3 s
    c.advance(h.available_at() - c.now());
    const bool probe = h.start_attempt(c.now());
    REQUIRE(probe);
    h.finish_attempt(c.now(), probe, health_outcome::failure);
    CHECK(h.state() == circuit_state::open);
    CHECK(h.available_at() == c.now() + expected);
  }
  CHECK(h.ejections_total == 4);
}

TEST_CASE("health: a probe that never reports (its request crashed) frees the half-open slot") {
  manual_clock c;
  auto stats = std::make_shared<provider_stats>();
  stats->health.configure(provider(1));
  attempt(stats->health, c.now(), health_outcome::failure);
  c.advance(1s);
  {
    health_ticket t{stats, c.now()};
    CHECK(t.probe());
    CHECK_FALSE(stats->health.available(c.now()));
  }  // dropped without an outcome
  CHECK(stats->health.available(c.now()));
  CHECK(stats->health.state() == circuit_state::half_open);
}

TEST_CASE("health: the error rate over the window ejects once min_requests are seen") {
  provider_health h;
  h.configure(provider(0, 0.5));
  manual_clock c;
  for (int i = 0; i < 4; ++i) {
    attempt(h, c.now(), health_outcome::success);
    attempt(h, c.now(), health_outcome::failure);
  }
  CHECK(h.state() == circuit_state::closed);  // 8 outcomes < min_requests
  attempt(h, c.now(), health_outcome::success);
  attempt(h, c.now(), health_outcome::failure);  // 5 of 10 failed
  CHECK(h.state() == circuit_state::open);
}

TEST_CASE("health: old outcomes leave the error-rate window") {
  provider_health h;
  h.configure(provider(0, 0.5));
  manual_clock c;
  for (int i = 0; i < 9; ++i) attempt(h, c.now(), health_outcome::failure);
  c.advance(11s);  // all of them are out of the 10 s window
  attempt(h, c.now(), health_outcome::failure);
  CHECK(h.state() == circuit_state::closed);
}

TEST_CASE("health: neutral outcomes never eject") {
  provider_health h;
  h.configure(provider(1, 0.1));
  manual_clock c;
  for (int i = 0; i < 50; ++i) attempt(h, c.now(), health_outcome::neutral);
  CHECK(h.state() == circuit_state::closed);
}

TEST_CASE("health: a Retry-After cools the provider down, at most max_cooldown") {
  auto p = provider();
  p.max_cooldown = 5s;
  provider_health h;
  h.configure(p);
  manual_clock c;
  h.finish_attempt(c.now(), h.start_attempt(c.now()), health_outcome::neutral, {}, 2s);
  CHECK_FALSE(h.available(c.now()));
  CHECK(h.state() == circuit_state::closed);
  c.advance(2s);
  CHECK(h.available(c.now()));
  h.finish_attempt(c.now(), h.start_attempt(c.now()), health_outcome::neutral, {}, 3600s);
  CHECK(h.available_at() == c.now() + 5s);
}

TEST_CASE("health: the retry budget allows percent of attempts, at least min_retries") {
  auto p = provider();
  p.retry_budget.percent = 20;
  p.retry_budget.min_retries = 3;
  p.retry_budget.window = 10s;
  provider_health h;
  h.configure(p);
  manual_clock c;
  // Few attempts: the floor of 3 applies.
  CHECK(h.try_retry(c.now()));
  CHECK(h.try_retry(c.now()));
  CHECK(h.try_retry(c.now()));
  CHECK_FALSE(h.try_retry(c.now()));
  CHECK(h.retries_denied_total == 1);
  // 50 attempts: 20% = 10 retries in the window.
  for (int i = 0; i < 50; ++i) attempt(h, c.now(), health_outcome::success);
  int allowed = 0;
  while (h.try_retry(c.now())) ++allowed;
  CHECK(allowed == 7);  // 10 in all, 3 already spent
  // The window slides: the old retries and attempts leave it.
  c.advance(11s);
  CHECK(h.try_retry(c.now()));
}

TEST_CASE("health: hedges spend tokens that successes refill") {
  auto p = provider();
  p.hedge_budget.max_tokens = 2;
  p.hedge_budget.token_ratio = 0.5;
  provider_health h;
  h.configure(p);
  manual_clock c;
  CHECK(h.try_hedge());
  CHECK(h.try_hedge());
  CHECK_FALSE(h.try_hedge());
  CHECK(h.hedges_total[static_cast<std::size_t>(hedge_outcome::throttled)] == 1);
  attempt(h, c.now(), health_outcome::success);
  CHECK_FALSE(h.try_hedge());  // 0.5 tokens
  attempt(h, c.now(), health_outcome::success);
  CHECK(h.try_hedge());
  for (int i = 0; i < 100; ++i) attempt(h, c.now(), health_outcome::success);
  CHECK(h.try_hedge());
  CHECK(h.try_hedge());
  CHECK_FALSE(h.try_hedge());  // refills stop at max_tokens
}

TEST_CASE("ttfb estimator: no estimate before 20 samples, then the p95 bucket") {
  ttfb_estimator e;
  for (int i = 0; i < 19; ++i) e.observe(10ms);
  CHECK_FALSE(e.p95());
  e.observe(10ms);
  REQUIRE(e.p95());
  CHECK(e.p95()->count() >= 10'000);
  CHECK(e.p95()->count() < 12'000);  // within one bucket (19%) of the truth
  // 90 fast, 10 slow: the 95th percentile is a slow one.
  ttfb_estimator mixed;
  for (int i = 0; i < 90; ++i) mixed.observe(20ms);
  for (int i = 0; i < 10; ++i) mixed.observe(500ms);
  REQUIRE(mixed.p95());
  CHECK(mixed.p95()->count() >= 500'000);
  CHECK(mixed.p95()->count() < 600'000);
  REQUIRE(mixed.quantile(0.5));
  CHECK(mixed.quantile(0.5)->count() < 24'000);
}

TEST_CASE("ttfb estimator: the estimate follows a change of latency") {
  ttfb_estimator e{100};
  for (int i = 0; i < 1000; ++i) e.observe(800ms);
  for (int i = 0; i < 1000; ++i) e.observe(30ms);
  REQUIRE(e.p95());
  CHECK(e.p95()->count() < 40'000);
}

TEST_CASE("ttfb estimator: buckets cover tiny and huge values") {
  CHECK(ttfb_estimator::bucket_of(0) == 0);
  CHECK(ttfb_estimator::bucket_of(1'189) == 0);
  CHECK(ttfb_estimator::bucket_of(1'190) == 1);
  CHECK(ttfb_estimator::bucket_of(std::int64_t{1} << 50) == ttfb_estimator::bucket_count - 1);
  for (std::int64_t us : {1'500, 10'000, 123'456, 60'000'000}) {
    const auto i = ttfb_estimator::bucket_of(us);
    CHECK(ttfb_estimator::upper_bound_us(i) >= us);
    CHECK(ttfb_estimator::upper_bound_us(i - 1) < us);
  }
}

TEST_CASE("backoff: exponential with equal jitter, capped") {
  config::backoff_config b;
  b.base = 100ms;
  b.max = 1000ms;
  CHECK(retry_backoff(b, 1, 0.0) == 50ms);
  CHECK(retry_backoff(b, 1, 0.999) < 100ms);
  CHECK(retry_backoff(b, 2, 0.0) == 100ms);
  CHECK(retry_backoff(b, 3, 0.5) == 300ms);
  CHECK(retry_backoff(b, 30, 0.0) == 500ms);  // the cap, without overflow
  CHECK(retry_backoff(b, 30, 1.0) <= 1000ms);
  for (int i = 0; i < 100; ++i) {
    const double u = random_unit();
    CHECK(u >= 0.0);
    CHECK(u < 1.0);
  }
}

TEST_CASE("health filter: ejected targets are skipped, but never all of them") {
  config::provider_config pc = provider(1);
  std::vector<std::shared_ptr<provider_stats>> stats;
  std::vector<route_target> targets(3);
  for (std::size_t i = 0; i < 3; ++i) {
    stats.push_back(std::make_shared<provider_stats>());
    stats[i]->health.configure(pc);
    targets[i].stats = stats[i];
  }
  manual_clock c;
  auto plan_of_all = [&] {
    plan p;
    for (auto& t : targets) p.targets.push_back(&t);
    return p;
  };
  // b is ejected: a, c remain in order.
  attempt(stats[1]->health, c.now(), health_outcome::failure);
  auto p = plan_of_all();
  apply_health(p, c.now());
  REQUIRE(p.targets.size() == 2);
  CHECK(p.targets[0] == &targets[0]);
  CHECK(p.targets[1] == &targets[2]);
  // All ejected: every target stays, the soonest back first.
  c.advance(100ms);
  attempt(stats[2]->health, c.now(), health_outcome::failure);  // until 1.1 s
  attempt(stats[0]->health, c.now(), health_outcome::failure);  // until 1.1 s
  c.advance(100ms);
  p = plan_of_all();
  apply_health(p, c.now());
  REQUIRE(p.targets.size() == 3);
  CHECK(p.targets[0] == &targets[1]);  // until 1.0 s: the least bad
  CHECK(p.targets[1] == &targets[0]);  // ties keep the plan's order
  CHECK(p.targets[2] == &targets[2]);
  // A plan with an error is left alone.
  plan bad = plan_of_all();
  bad.error = protocols::error_info{};
  apply_health(bad, c.now());
  CHECK(bad.targets.size() == 3);
}

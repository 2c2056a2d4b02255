// The request actor's resilience through the gateway, with a fake transport and a manual clock
// for the providers' health: ejection and the never-strand rule, probes, the retry budget,
// same-target retries with backoff and Retry-After, hedged requests and per-model timeouts.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/fakes.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using protocols::gateway_error;
using namespace std::chrono_literals;

namespace {

/// Polls `pred` until it holds or a generous deadline passes (a loaded machine is slow).
template <class Pred>
bool eventually(Pred pred) {
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<test::fake_transport> transport = std::make_shared<test::fake_transport>();
  std::shared_ptr<test::fake_observer> observer = std::make_shared<test::fake_observer>();
  std::shared_ptr<manual_clock> time = std::make_shared<manual_clock>();
  std::unique_ptr<gateway> gw;

  explicit fixture(config::snapshot_ptr config) {
    gw = std::make_unique<gateway>(sys, std::move(config),
                                   gateway::ports{transport, observer, time});
  }
  ~fixture() { gw->stop(); }

  std::shared_ptr<test::fake_sink> submit(const std::string& model) {
    auto sink = std::make_shared<test::fake_sink>();
    request_context ctx;
    ctx.request_id = "req";
    ctx.request = test::make_request(model);
    ctx.sink = sink;
    ctx.received = time->now();
    gw->submit(std::move(ctx));
    return sink;
  }
  provider_health& health(std::size_t i) { return gw->provider_stats_list().at(i)->health; }
};

// Providers a and b (a ejected after one failure), model m over both.
config::snapshot_ptr eject_fast() {
  test::config_builder b;
  b.provider("a").provider("b").model("m", {"a", "b"});
  for (auto& p : b.s.providers) p.circuit.consecutive_failures = 1;
  return b.build();
}

// Model m over a and b, hedged after `after`.
config::snapshot_ptr hedged(std::chrono::milliseconds after) {
  test::config_builder b;
  b.provider("a").provider("b").model("m", {"a", "b"});
  b.s.models[0].hedge = config::hedge_config{false, after, 1};
  return b.build();
}

std::size_t idx(hedge_outcome o) {
  return static_cast<std::size_t>(o);
}

}  // namespace

TEST_CASE("resilience: a failing provider is ejected and new requests skip it") {
  fixture f{eject_fast()};
  f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 503);
  f.transport->wait_attempt(1)->succeed();
  REQUIRE(f.observer->wait_record(0));
  CHECK(f.health(0).state() == circuit_state::open);
  CHECK(f.health(0).ejections_total == 1);
  CHECK(f.health(0).failovers_total == 1);
  CHECK(f.health(0)
            .upstream_errors_total[static_cast<std::size_t>(attempt_failure::upstream_status)] ==
        1);

  f.submit("m");
  auto next = f.transport->wait_attempt(2);
  REQUIRE(next);
  CHECK(next->spec.provider->name == "b");  // no attempt on the ejected a
  next->succeed();
  REQUIRE(f.observer->wait_record(1));
}

TEST_CASE("resilience: with every target ejected the least bad one still serves") {
  fixture f{eject_fast()};
  f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::connect);  // a out until 1 s
  f.time->advance(500ms);
  f.transport->wait_attempt(1)->fail(attempt_failure::connect);  // b out until 1.5 s
  REQUIRE(f.observer->wait_record(0));
  REQUIRE(f.health(1).state() == circuit_state::open);

  auto sink = f.submit("m");
  auto a = f.transport->wait_attempt(2);
  REQUIRE(a);
  CHECK(a->spec.provider->name == "a");  // back soonest
  a->succeed();                          // a success closes its circuit
  auto rec = f.observer->wait_record(1);
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(f.health(0).state() == circuit_state::closed);
  CHECK(f.health(1).state() == circuit_state::open);
}

TEST_CASE("resilience: after the ejection a probe goes back, and its success closes the circuit") {
  fixture f{eject_fast()};
  f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::reset);
  f.transport->wait_attempt(1)->succeed();
  REQUIRE(f.observer->wait_record(0));
  f.time->advance(1s);  // the ejection is over: a is probed by the next request
  f.submit("m");
  auto probe = f.transport->wait_attempt(2);
  REQUIRE(probe);
  CHECK(probe->spec.provider->name == "a");
  // The gateway started the attempt; the request actor takes the probe when it adopts it.
  CHECK(eventually([&] { return f.health(0).state() == circuit_state::half_open; }));
  CHECK_FALSE(f.health(0).available(f.time->now()));  // one probe at a time
  probe->succeed();
  REQUIRE(f.observer->wait_record(1));
  CHECK(f.health(0).state() == circuit_state::closed);
}

TEST_CASE("resilience: over the retry budget the client gets the error at once") {
  test::config_builder b;
  b.provider("a").provider("b").model("m", {"a", "b"});
  b.s.providers[0].retry_budget.percent = 0;
  b.s.providers[0].retry_budget.min_retries = 0;
  fixture f{b.build()};
  auto sink = f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 500);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::upstream_failed);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->attempts == 1);
  CHECK(f.transport->count() == 1);
  CHECK(f.health(0).retries_denied_total == 1);
}

TEST_CASE("resilience: a single-target model retries its target after a backoff") {
  test::config_builder b;
  b.provider("a").model("m", {"a"}, 3);
  b.s.models[0].retry_backoff = {1ms, 20ms};
  fixture f{b.build()};
  f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 502);
  auto again = f.transport->wait_attempt(1);
  REQUIRE(again);
  CHECK(again->spec.provider->name == "a");
  again->fail(attempt_failure::first_byte_timeout);
  auto third = f.transport->wait_attempt(2);
  REQUIRE(third);
  third->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(rec->attempts == 3);
  CHECK(f.health(0).retries_total == 2);
}

TEST_CASE("resilience: a Retry-After longer than the backoff cap is the client's to wait") {
  test::config_builder b;
  b.provider("a").model("m", {"a"}, 3);
  b.s.models[0].retry_backoff = {1ms, 500ms};
  fixture f{b.build()};
  auto sink = f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 429, 5);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::rate_limited);
  CHECK(err->retry_after_s == 5u);
  CHECK(f.transport->count() == 1);
  CHECK_FALSE(f.health(0).available(f.time->now()));  // a cools down for its Retry-After
  f.time->advance(5s);
  CHECK(f.health(0).available(f.time->now()));
}

TEST_CASE("resilience: a cooling-down provider is skipped by new requests") {
  fixture f{test::config_builder{}.provider("a").provider("b").model("m", {"a", "b"}).build()};
  f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 429, 30);
  f.transport->wait_attempt(1)->succeed();
  REQUIRE(f.observer->wait_record(0));
  CHECK(f.health(0).state() == circuit_state::closed);  // a 429 is not a fault
  f.submit("m");
  auto next = f.transport->wait_attempt(2);
  REQUIRE(next);
  CHECK(next->spec.provider->name == "b");
}

TEST_CASE(
    "resilience: a hedge races a silent attempt; the first to commit wins, the loser is "
    "cancelled") {
  fixture f{hedged(20ms)};
  f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  REQUIRE(primary);
  auto hedge = f.transport->wait_attempt(1);  // after 20 ms without a first byte
  REQUIRE(hedge);
  CHECK(hedge->spec.provider->name == "b");
  CHECK(hedge->spec.attempt_id != primary->spec.attempt_id);
  hedge->succeed();
  CHECK(primary->cancelled->wait());  // its upstream exchange closes at once
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->provider == "b");
  CHECK(rec->hedged);
  CHECK(rec->attempts == 2);
  CHECK(f.health(1).hedges_total[idx(hedge_outcome::won)] == 1);
  primary->fail(attempt_failure::lost_race);  // its late final event changes nothing
  CHECK(eventually([&] { return f.gw->provider_stats_list()[0]->in_flight == 0; }));
  CHECK(f.health(0).state() == circuit_state::closed);
}

TEST_CASE("resilience: when the first attempt wins the race the hedge is cancelled") {
  fixture f{hedged(20ms)};
  f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  auto hedge = f.transport->wait_attempt(1);
  REQUIRE(hedge);
  primary->succeed();
  CHECK(hedge->cancelled->wait());
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->provider == "a");
  CHECK(rec->hedged);
  CHECK(f.health(1).hedges_total[idx(hedge_outcome::lost)] == 1);
  CHECK(f.health(1).hedges_total[idx(hedge_outcome::won)] == 0);
}

TEST_CASE("resilience: a failed first attempt leaves the request to its running hedge") {
  fixture f{hedged(20ms)};
  f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  auto hedge = f.transport->wait_attempt(1);
  REQUIRE(hedge);
  primary->fail(attempt_failure::upstream_status, 503);
  hedge->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(rec->provider == "b");
  CHECK(f.transport->count() == 2);  // no third attempt: the hedge carried it
}

TEST_CASE("resilience: a hedge without a token is throttled and the request goes on") {
  test::config_builder b;
  b.provider("a").provider("b").model("m", {"a", "b"});
  b.s.models[0].hedge = config::hedge_config{false, 10ms, 1};
  b.s.providers[1].hedge_budget.max_tokens = 0;
  fixture f{b.build()};
  f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  REQUIRE(primary);
  CHECK(eventually([&] { return f.health(1).hedges_total[idx(hedge_outcome::throttled)] == 1; }));
  primary->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK_FALSE(rec->hedged);
  CHECK(f.transport->count() == 1);
}

TEST_CASE("resilience: an answer before the hedge delay sends no hedge") {
  fixture f{hedged(300ms)};
  f.submit("m");
  f.transport->wait_attempt(0)->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK_FALSE(rec->hedged);
  std::this_thread::sleep_for(400ms);  // past the delay: the finished request sent nothing more
  CHECK(f.transport->count() == 1);
}

TEST_CASE("resilience: a client that leaves during a race cancels both attempts") {
  fixture f{hedged(20ms)};
  auto sink = f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  auto hedge = f.transport->wait_attempt(1);
  REQUIRE(hedge);
  sink->disconnect();
  CHECK(primary->cancelled->wait());
  CHECK(hedge->cancelled->wait());
  primary->fail(attempt_failure::cancelled);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 499);
}

TEST_CASE("resilience: a hedge after p95 waits for an estimate of the first target") {
  test::config_builder b;
  b.provider("a").provider("b").model("m", {"a", "b"});
  b.s.models[0].hedge = config::hedge_config{true, {}, 1};
  fixture f{b.build()};
  for (int i = 0; i < 20; ++i) {
    f.health(0).finish_attempt(f.time->now(), f.health(0).start_attempt(f.time->now()),
                               health_outcome::success, 5ms);
  }
  REQUIRE(f.health(0).ttfb().p95());
  f.submit("m");
  auto hedge = f.transport->wait_attempt(1);  // ~6 ms later
  REQUIRE(hedge);
  CHECK(hedge->spec.provider->name == "b");
  hedge->succeed();
  REQUIRE(f.observer->wait_record());
}

TEST_CASE("resilience: a model's timeouts override its provider's in the attempt") {
  test::config_builder b;
  b.provider("a").model("m", {"a"}).model("plain", {"a"});
  b.s.providers[0].timeouts.connect = 1000ms;
  b.s.models[0].timeouts.first_byte = 250ms;
  b.s.models[0].timeouts.total = 4000ms;
  fixture f{b.build()};
  f.submit("m");
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  REQUIRE(a->spec.timeouts);
  CHECK(a->spec.timeouts->connect == 1000ms);  // the provider's
  CHECK(a->spec.timeouts->first_byte == 250ms);
  CHECK(a->spec.timeouts->total == 4000ms);
  a->succeed();
  f.submit("plain");
  auto p = f.transport->wait_attempt(1);
  REQUIRE(p);
  CHECK_FALSE(p->spec.timeouts);  // nothing to override
  p->succeed();
  REQUIRE(f.observer->wait_record(1));
}

TEST_CASE("resilience: a failed hedge leaves the first attempt running") {
  fixture f{hedged(20ms)};
  f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  auto hedge = f.transport->wait_attempt(1);
  REQUIRE(hedge);
  hedge->fail(attempt_failure::connect);
  CHECK(eventually([&] { return f.gw->provider_stats_list()[1]->in_flight == 0; }));
  CHECK_FALSE(primary->cancelled->fired());
  primary->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->provider == "a");
  CHECK(rec->status == 200);
  CHECK(f.transport->count() == 2);
  CHECK(f.health(1).upstream_errors_total[static_cast<std::size_t>(attempt_failure::connect)] == 1);
}

TEST_CASE("resilience: the first attempt's lost_race may arrive before the hedge's commit") {
  fixture f{hedged(20ms)};
  f.submit("m");
  auto primary = f.transport->wait_attempt(0);
  auto hedge = f.transport->wait_attempt(1);
  REQUIRE(hedge);
  REQUIRE(hedge->sink->try_commit(hedge->spec.attempt_id));  // the hedge wins the sink...
  primary->fail(attempt_failure::lost_race);                 // ...and the loser reports first
  hedge->send({attempt_event::committed});
  attempt_event done{attempt_event::finished};
  done.upstream_status = 200;
  hedge->send(done);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->provider == "b");
  CHECK(rec->status == 200);
  CHECK(f.health(1).hedges_total[idx(hedge_outcome::won)] == 1);
  CHECK(f.health(0).state() == circuit_state::closed);  // losing a race is not a fault
}

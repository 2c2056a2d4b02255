// The request actor through the gateway facade, with a fake transport playing the upstreams:
// failover before commit, no retry after it, final errors, client disconnects and crashes.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/fakes.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using protocols::gateway_error;
using namespace std::chrono_literals;

namespace {

struct gateway_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<test::fake_transport> transport = std::make_shared<test::fake_transport>();
  std::shared_ptr<test::fake_observer> observer = std::make_shared<test::fake_observer>();
  std::unique_ptr<gateway> gw;

  explicit gateway_fixture(config::snapshot_ptr config) {
    gw = std::make_unique<gateway>(sys, std::move(config),
                                   gateway::ports{transport, observer, nullptr});
  }
  ~gateway_fixture() { gw->stop(); }

  std::shared_ptr<test::fake_sink> submit(const std::string& model, bool stream = false,
                                          const std::string& tenant = "",
                                          const protocols::routing_controls& controls = {}) {
    auto sink = std::make_shared<test::fake_sink>();
    request_context ctx;
    ctx.request_id = "req-1";
    for (const auto& t : gw->config()->tenants) {
      if (t.name == tenant) ctx.tenant = &t;
    }
    ctx.request = test::make_request(model, stream);
    ctx.request.controls = controls;
    ctx.sink = sink;
    ctx.received = std::chrono::steady_clock::now();
    gw->submit(std::move(ctx));
    return sink;
  }
};

config::snapshot_ptr two_targets() {
  return test::config_builder{}.provider("a").provider("b").model("m", {"a", "b"}).build();
}

}  // namespace

TEST_CASE("a successful attempt is recorded with its provider, usage and cost") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m");
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  CHECK(a->spec.provider->name == "a");
  CHECK(a->spec.upstream_model == "a-model");
  CHECK(a->spec.body.find(R"("model":"a-model")") != std::string::npos);
  protocols::usage u;
  u.prompt_tokens = 1'000'000;
  u.completion_tokens = 500'000;
  u.reported = true;
  a->succeed(u);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(rec->provider == "a");
  CHECK(rec->attempts == 1);
  CHECK(rec->usage.completion_tokens == 500'000);
  CHECK(rec->cost_usd == Approx(1.0 + 1.0));  // 1 Mtok in at $1 + 0.5 Mtok out at $2
  CHECK(sink->error_count() == 0);
  // Drawn by the gateway when it accepted the request: the store's idempotency key.
  CHECK(rec->record_id.size() == 32);
  CHECK(rec->record_id != rec->request_id);
}

TEST_CASE("a retryable failure before commit moves to the next target") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m");
  auto first = f.transport->wait_attempt(0);
  REQUIRE(first);
  first->fail(attempt_failure::upstream_status, 503);
  auto second = f.transport->wait_attempt(1);
  REQUIRE(second);
  CHECK(second->spec.provider->name == "b");
  CHECK(second->spec.attempt_id != first->spec.attempt_id);
  second->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->provider == "b");
  CHECK(rec->attempts == 2);
  CHECK(rec->status == 200);
  // The first target's slot was freed when its attempt failed.
  CHECK(f.gw->provider_stats_list()[0]->in_flight == 0);
}

TEST_CASE("every target failing answers 502 naming the last failure") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 500);
  f.transport->wait_attempt(1)->fail(attempt_failure::reset);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::upstream_failed);
  CHECK(err->message.find("provider `b`: reset") != std::string::npos);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 502);
  CHECK(rec->attempts == 2);
}

TEST_CASE("every target timing out answers 504") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::first_byte_timeout);
  f.transport->wait_attempt(1)->fail(attempt_failure::connect_timeout);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::upstream_timeout);
}

TEST_CASE("every target rate limiting answers 429 with the shortest Retry-After") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 429, 7);
  f.transport->wait_attempt(1)->fail(attempt_failure::upstream_status, 429, 3);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::rate_limited);
  CHECK(err->retry_after_s == 3u);
}

TEST_CASE("max_attempts bounds failover") {
  auto config = test::config_builder{}
                    .provider("a").provider("b").provider("c")
                    .model("m", {"a", "b", "c"}, 2)
                    .build();
  gateway_fixture f{config};
  auto sink = f.submit("m");
  f.transport->wait_attempt(0)->fail(attempt_failure::connect);
  f.transport->wait_attempt(1)->fail(attempt_failure::connect);
  REQUIRE(sink->wait_error());
  CHECK(f.transport->count() == 2);
}

TEST_CASE("after commit a failure is not retried and no error response is sent") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m", true);
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  REQUIRE(a->sink->try_commit(a->spec.attempt_id));
  a->send({attempt_event::committed});
  attempt_event broken{attempt_event::failed};
  broken.failure = attempt_failure::reset;
  broken.was_committed = true;
  broken.stream_broken = true;
  broken.usage.completion_tokens = 12;
  a->send(broken);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->stream_broken);
  CHECK(rec->status == 200);
  CHECK(rec->usage.completion_tokens == 12);  // tokens received are still recorded
  CHECK(f.transport->count() == 1);
  CHECK(sink->error_count() == 0);
}

TEST_CASE("an unknown model answers 404 and a forbidden one 403, with no attempt") {
  auto config = test::config_builder{}.provider("a").model("m", {"a"}).model("n", {"a"})
                    .tenant("t", {"m"}).build();
  gateway_fixture f{config};
  auto unknown = f.submit("nope", false, "t");
  auto err = unknown->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::model_not_found);
  CHECK(err->param == "model");
  auto forbidden = f.submit("n", false, "t");
  err = forbidden->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::forbidden);
  CHECK(f.transport->count() == 0);
}

TEST_CASE("a model whose providers are all disabled answers 503 with Retry-After") {
  auto config = test::config_builder{}.provider("a", 8, 0, false).model("m", {"a"}).build();
  gateway_fixture f{config};
  auto err = f.submit("m")->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::no_healthy_target);
  CHECK(err->retry_after_s.has_value());
}

TEST_CASE("a full provider is skipped at once; when all are full the answer is 503") {
  auto config = test::config_builder{}.provider("a", 1).provider("b", 1).model("m", {"a", "b"})
                    .model("only_a", {"a"}).build();
  gateway_fixture f{config};
  f.submit("only_a");
  auto held = f.transport->wait_attempt(0);  // holds a's only slot
  REQUIRE(held);
  f.submit("m");
  auto moved = f.transport->wait_attempt(1);
  REQUIRE(moved);
  CHECK(moved->spec.provider->name == "b");  // a refused, b admitted, no failure counted
  auto refused = f.submit("only_a");
  auto err = refused->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::overloaded);
  CHECK(err->retry_after_s.has_value());
  held->succeed();
  moved->succeed();
}

TEST_CASE("a queued request is served when the slot frees") {
  auto config = test::config_builder{}.provider("a", 1, 1).model("m", {"a"}).build();
  gateway_fixture f{config};
  f.submit("m");
  auto first = f.transport->wait_attempt(0);
  REQUIRE(first);
  f.submit("m");
  first->succeed();
  auto second = f.transport->wait_attempt(1);
  REQUIRE(second);
  second->succeed();
  REQUIRE(f.observer->wait_record(1));
}

TEST_CASE("a client that goes away cancels the running attempt and is recorded as 499") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m", true);
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  sink->disconnect();
  REQUIRE(a->cancelled->wait());  // the actor cancels the upstream exchange
  attempt_event cancelled{attempt_event::failed};
  cancelled.failure = attempt_failure::cancelled;
  cancelled.usage.completion_tokens = 3;  // what arrived before the cancel is still recorded
  a->send(cancelled);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->usage.completion_tokens == 3);
  CHECK(rec->client_gone);
  CHECK(rec->status == 499);
  CHECK(f.transport->count() == 1);  // never failed over
}

TEST_CASE("a crashed request actor answers 500 and frees its provider slots") {
  auto config = test::config_builder{}.provider("a", 1).provider("b", 1).model("m", {"a", "b"}).build();
  gateway_fixture f{config};
  auto sink = f.submit("m");
  auto first = f.transport->wait_attempt(0);
  REQUIRE(first);
  // The failover attempt is started by the request actor itself; make that start throw.
  f.transport->throw_on_start = true;
  first->fail(attempt_failure::upstream_status, 503);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::internal);
  CHECK(f.gw->requests().crashed_total == 1);
  // Both slots went back (a's at the failure, b's with the dead actor's state): the next request
  // is admitted at once.
  f.transport->throw_on_start = false;
  f.submit("m");
  auto next = f.transport->wait_attempt(1);
  REQUIRE(next);
  CHECK(next->spec.provider->name == "a");
  next->succeed();
  REQUIRE(f.observer->wait_record());
}

TEST_CASE("a killed provider actor is restarted and keeps serving") {
  auto config = test::config_builder{}.provider("a").model("m", {"a"}).build();
  gateway_fixture f{config};
  auto stats = f.gw->provider_stats_list()[0];
  // The live-actor count settles at one provider actor (its start runs on an actor thread).
  auto one_alive = [&] {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (stats->alive != 1 && std::chrono::steady_clock::now() < until)
      std::this_thread::yield();
    return stats->alive == 1;
  };
  CHECK(one_alive());
  auto before = f.gw->provider_actor_for_test(0);
  caf::anon_send_exit(before, caf::exit_reason::kill);
  // The supervisor republishes the routing snapshot with a new actor; poll the snapshot (each
  // look-up is a memory read, no sleeping) until it has.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (f.gw->provider_actor_for_test(0) == before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  REQUIRE(f.gw->provider_actor_for_test(0) != before);
  CHECK(stats->restarts_total == 1);
  f.submit("m");
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  a->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(one_alive());  // the dead actor counted itself out, its successor in
}

namespace {

// Provider "a" speaks Anthropic's dialect, "b" OpenAI's; a request with `seed`, which Anthropic's
// API cannot honour.
config::snapshot_ptr mixed_dialects(bool drop_unsupported, std::vector<std::string> order) {
  test::config_builder b;
  b.provider("a").provider("b").model("m", order);
  b.s.providers[0].type = config::provider_type::anthropic;
  b.s.models[0].drop_unsupported = drop_unsupported;
  return b.build();
}

std::shared_ptr<test::fake_sink> submit_seeded(gateway_fixture& f) {
  auto sink = std::make_shared<test::fake_sink>();
  request_context ctx;
  ctx.request_id = "req-seed";
  auto decoded = protocols::decode_openai_request(
      protocols::api_kind::chat_completions,
      R"({"model":"m","seed":7,"messages":[{"role":"user","content":"hi"}]})");
  REQUIRE(decoded.ok());
  ctx.request = std::move(decoded).value();
  ctx.sink = sink;
  ctx.received = std::chrono::steady_clock::now();
  f.gw->submit(std::move(ctx));
  return sink;
}

}  // namespace

TEST_CASE("a target that cannot honour a field is skipped without holding a slot") {
  gateway_fixture f{mixed_dialects(false, {"a", "b"})};
  auto sink = submit_seeded(f);
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  CHECK(a->spec.provider->name == "b");  // "a" (Anthropic) was skipped
  CHECK(a->spec.upstream_dialect == protocols::dialect::openai);
  CHECK(a->spec.path == "/chat/completions");
  a->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(rec->attempts == 1);
  CHECK(f.gw->provider_stats_list()[0]->in_flight == 0);
}

TEST_CASE("when no target can honour a field the client gets the 400 naming it") {
  gateway_fixture f{mixed_dialects(false, {"a"})};
  auto sink = submit_seeded(f);
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::bad_request);
  CHECK(err->param == "seed");
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 400);
  CHECK(rec->attempts == 0);
  CHECK(f.transport->count() == 0);
}

TEST_CASE("a model with drop_unsupported sends the attempt and lists what it dropped") {
  gateway_fixture f{mixed_dialects(true, {"a"})};
  auto sink = submit_seeded(f);
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  CHECK(a->spec.upstream_dialect == protocols::dialect::anthropic);
  CHECK(a->spec.path == "/messages");
  CHECK(a->spec.dropped == std::vector<std::string>{"seed"});
  CHECK(a->spec.body.find("seed") == std::string::npos);
  a->succeed();
  REQUIRE(f.observer->wait_record());
}

TEST_CASE("an attempt whose final event never comes ends at the safety deadline with a 504") {
  test::config_builder b;
  b.provider("a").model("m", {"a"});
  b.s.providers[0].timeouts.total = 100ms;  // safety deadline: 2 s + queue (100 ms) + total
  gateway_fixture f{b.build()};
  const auto started = std::chrono::steady_clock::now();
  auto sink = f.submit("m");
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);  // ...and the fake transport never reports its end
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::upstream_timeout);
  CHECK(std::chrono::steady_clock::now() - started >= 2s);
  CHECK(a->cancelled->wait());  // the lost attempt is cancelled, its slot freed
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 504);
  CHECK(f.gw->provider_stats_list()[0]->in_flight == 0);
}

namespace {

// A tenant `t` with a budget, over two_targets(): prices $1 in, $2 out per million tokens.
config::snapshot_ptr budgeted(double usd) {
  auto s = std::make_shared<config::snapshot>(*test::config_builder{}
                                                   .provider("a", 1)
                                                   .provider("b", 1)
                                                   .model("m", {"a", "b"})
                                                   .tenant("t")
                                                   .build());
  config::budget_config b;
  b.usd = usd;
  s->tenants[0].limits.budget = b;
  return s;
}

// Polls the tenant's budget until `pred` holds (settlement follows the actor's end).
template <class P>
bool budget_eventually(const gateway& gw, P pred) {
  for (int i = 0; i < 500; ++i) {
    auto b = gw.budgets().tenant_account("t")->budget(std::chrono::system_clock::now());
    if (b && pred(*b)) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST_CASE("a finished request settles its recorded cost against its tenant's budget") {
  gateway_fixture f{budgeted(100.0)};
  auto sink = f.submit("m", false, "t");
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  // No max_tokens: the default output reserve is sent upstream under a budget.
  CHECK(a->spec.body.find(R"("max_tokens":4096)") != std::string::npos);
  protocols::usage u;
  u.prompt_tokens = 1'000;
  u.completion_tokens = 2'000;
  u.reported = true;
  a->succeed(u);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->cost_usd == Approx(0.005));
  CHECK(budget_eventually(*f.gw, [&](const budget_state& b) {
    return b.reservations == 0 && b.spent == rec->cost_usd;
  }));
}

TEST_CASE("a request the budget cannot cover is answered 402 and recorded, with no attempt") {
  gateway_fixture f{budgeted(0.000001)};
  auto sink = f.submit("m", false, "t");
  auto err = sink->wait_error();
  REQUIRE(err);
  CHECK(err->code == gateway_error::budget_exhausted);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 402);
  CHECK(rec->attempts == 0);
  CHECK(f.transport->count() == 0);
}

TEST_CASE("a crashed request actor releases its budget reservation") {
  gateway_fixture f{budgeted(100.0)};
  auto sink = f.submit("m", false, "t");
  auto first = f.transport->wait_attempt(0);
  REQUIRE(first);
  CHECK(
      f.gw->budgets().tenant_account("t")->budget(std::chrono::system_clock::now())->reservations ==
      1);
  f.transport->throw_on_start = true;
  first->fail(attempt_failure::upstream_status, 503);
  REQUIRE(sink->wait_error());
  CHECK(f.gw->requests().crashed_total == 1);
  CHECK(budget_eventually(*f.gw, [](const budget_state& b) {
    return b.reservations == 0 && b.reserved == 0 && b.spent == 0;
  }));
}

TEST_CASE("fallback models are tried after the primary's attempts, each with its own") {
  auto config = test::config_builder{}
                    .provider("a")
                    .provider("b")
                    .provider("c")
                    .model("m", {"a", "c"}, 1)
                    .model("n", {"b"}, 1)
                    .build();
  gateway_fixture f{config};
  protocols::routing_controls controls;
  controls.fallback_models = {"n"};
  auto sink = f.submit("m", false, "", controls);
  // `m` allows one attempt: its second target is skipped, and `n` gets its own attempt.
  f.transport->wait_attempt(0)->fail(attempt_failure::upstream_status, 503);
  auto second = f.transport->wait_attempt(1);
  REQUIRE(second);
  CHECK(second->spec.provider->name == "b");
  CHECK(second->spec.upstream_model == "b-model");
  second->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(rec->provider == "b");
  CHECK(rec->model == "m");
  CHECK(rec->attempts == 2);
}

TEST_CASE("a committed attempt feeds its provider's latency estimates") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m", true);
  auto a = f.transport->wait_attempt(0);
  REQUIRE(a);
  a->sink->try_commit(a->spec.attempt_id);
  attempt_event committed{attempt_event::committed};
  committed.time_to_first_byte = 40ms;
  a->send(committed);
  std::this_thread::sleep_for(20ms);  // a measurable stream duration after the first byte
  attempt_event done{attempt_event::finished};
  done.upstream_status = 200;
  done.usage.completion_tokens = 100;
  a->send(done);
  REQUIRE(f.observer->wait_record());
  const auto& latency = f.gw->provider_stats_list()[0]->latency;
  CHECK(latency.ttft_ms() == Approx(40));
  // The rate is measured between the actor's handling of the two events, which the test's sleep
  // does not bound (a slow scheduler, as under ASan, can handle them closer together).
  CHECK(latency.tokens_per_s() > 0);
  CHECK(f.gw->provider_stats_list()[1]->latency.ttft_ms() == 0);
}

TEST_CASE("the upstream time of every attempt that ended is summed into the record") {
  gateway_fixture f{two_targets()};
  auto sink = f.submit("m");
  auto first = f.transport->wait_attempt(0);
  REQUIRE(first);
  attempt_event failed{attempt_event::failed};
  failed.failure = attempt_failure::upstream_status;
  failed.upstream_status = 503;
  failed.upstream_time = std::chrono::microseconds{1'500};
  first->send(failed);
  auto second = f.transport->wait_attempt(1);
  REQUIRE(second);
  second->sink->try_commit(second->spec.attempt_id);
  attempt_event committed{attempt_event::committed};
  committed.upstream_time = std::chrono::microseconds{400};  // the same exchange, not over yet
  second->send(committed);
  attempt_event done{attempt_event::finished};
  done.upstream_status = 200;
  done.upstream_time = std::chrono::microseconds{2'000};
  second->send(done);
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->attempts == 2);
  CHECK(rec->upstream_time == std::chrono::microseconds{3'500});
}

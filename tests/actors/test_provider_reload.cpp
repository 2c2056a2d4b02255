// Hot reload of `providers:`: the pure plan (added, kept, replaced, removed) and the gateway
// applying it live over a fake transport — new requests see the new providers in one step, those
// in flight finish on the old ones, and retired provider actors end once nothing can reach them.
#include <catch2/catch.hpp>

#include <thread>

#include "actors/fakes.hpp"
#include "actors/provider_diff.hpp"
#include "actors/routing_table.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using namespace std::chrono_literals;

namespace {

config::provider_config named(const std::string& name, const std::string& base_url) {
  config::provider_config p;
  p.name = name;
  p.type = config::provider_type::openai_compatible;
  p.base_url = base_url;
  return p;
}

struct reload_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<test::fake_transport> transport = std::make_shared<test::fake_transport>();
  std::shared_ptr<test::fake_observer> observer = std::make_shared<test::fake_observer>();
  std::unique_ptr<gateway> gw;

  explicit reload_fixture(config::snapshot_ptr config) {
    gw = std::make_unique<gateway>(sys, std::move(config),
                                   gateway::ports{transport, observer, nullptr});
  }
  ~reload_fixture() { gw->stop(); }

  std::shared_ptr<test::fake_sink> submit(const std::string& model) {
    auto sink = std::make_shared<test::fake_sink>();
    request_context ctx;
    ctx.request_id = "req-reload";
    ctx.request = test::make_request(model);
    ctx.sink = sink;
    ctx.received = std::chrono::steady_clock::now();
    gw->submit(std::move(ctx));
    return sink;
  }

  std::shared_ptr<provider_stats> stats_of(const std::string& name) const {
    for (auto& s : gw->provider_stats_list())
      if (s->name == name) return s;
    return nullptr;
  }
};

template <class F>
bool eventually(F&& cond, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("plan_providers: matched by name; the upstream decides kept or replaced", "[reload]") {
  std::vector<config::provider_config> running{named("a", "http://a:1"), named("b", "http://b:1"),
                                               named("c", "http://c:1")};
  auto a_key = running[0];
  a_key.api_key = "sk-new-secret";
  a_key.max_in_flight = 3;
  a_key.line = 40;  // moved in the file
  auto b_moved = named("b", "http://b:2");
  std::vector<config::provider_config> next{named("d", "http://d:1"), b_moved, a_key};

  auto plan = plan_providers(running, next);
  REQUIRE(plan.changes.size() == 3);
  CHECK(plan.changes[0] == provider_change::added);
  CHECK_FALSE(plan.running[0].has_value());
  CHECK(plan.changes[1] == provider_change::replaced);
  CHECK(plan.running[1] == std::optional<std::size_t>{1});
  CHECK(plan.changes[2] == provider_change::kept);
  CHECK(plan.running[2] == std::optional<std::size_t>{0});
  CHECK(plan.retired == std::vector<std::size_t>{1, 2});
  CHECK(plan.removed == std::vector<std::size_t>{2});

  auto lines = describe(plan, running, next);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "provider `d` added");
  CHECK(lines[1].rfind("provider `b` has a new upstream", 0) == 0);
  CHECK(lines[2] == "provider `a` changed in place for new requests");
  CHECK(lines[3].rfind("provider `c` removed", 0) == 0);
  for (const auto& l : lines) CHECK(l.find("sk-new-secret") == std::string::npos);

  auto b_circuit = running[1];
  b_circuit.circuit.consecutive_failures = 1;
  auto lines_circuit = describe(plan_providers(running, {running[0], b_circuit, running[2]}),
                                running, {running[0], b_circuit, running[2]});
  REQUIRE(lines_circuit.size() == 1);
  CHECK(lines_circuit[0].rfind("provider `b` has new health settings", 0) == 0);

  // Nothing changed but the line it sits on: kept, and not worth a log line.
  auto same = running;
  same[1].line = 99;
  auto quiet = plan_providers(running, same);
  CHECK(quiet.retired.empty());
  CHECK(quiet.removed.empty());
  CHECK(describe(quiet, running, same).empty());
}

TEST_CASE("same_upstream: endpoint, type, mock behaviour and health settings", "[reload]") {
  auto base = named("a", "http://a:1");
  auto other = base;
  CHECK(same_upstream(base, other));
  other.headers["x-team"] = "blue";
  other.timeouts.total = 5s;
  other.region = "eu";
  other.enabled = false;
  CHECK(same_upstream(base, other));  // changed in place
  other = base;
  other.base_url = "http://a:2";
  CHECK_FALSE(same_upstream(base, other));
  other = base;
  other.type = config::provider_type::openai;
  CHECK_FALSE(same_upstream(base, other));
  other = base;
  other.circuit.consecutive_failures = 2;
  CHECK_FALSE(same_upstream(base, other));
  other = base;
  other.retry_budget.percent = 50;
  CHECK_FALSE(same_upstream(base, other));
  other = base;
  other.hedge_budget.max_tokens = 1;
  CHECK_FALSE(same_upstream(base, other));
  other = base;
  other.max_cooldown = 1s;
  CHECK_FALSE(same_upstream(base, other));
  other = base;
  other.mock.latency = 5ms;
  CHECK_FALSE(same_upstream(base, other));
}

TEST_CASE("reload adds a provider and a model on it; the next request goes there", "[reload]") {
  reload_fixture f{test::config_builder{}.provider("a").model("m", {"a"}).build()};
  auto next =
      test::config_builder{}.provider("a").provider("b").model("m", {"a"}).model("n", {"b"});
  REQUIRE(f.gw->reload(next.build()));

  auto names = f.gw->provider_stats_list();
  REQUIRE(names.size() == 2);
  CHECK(names[1]->name == "b");
  CHECK(names[1]->limit == 8);
  CHECK(eventually([&] { return names[1]->alive.load() == 1; }));

  auto sink = f.submit("n");
  auto attempt = f.transport->wait_attempt(0);
  REQUIRE(attempt);
  CHECK(attempt->spec.provider->name == "b");
  attempt->succeed();
  auto rec = f.observer->wait_record();
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(rec->provider == "b");
}

TEST_CASE(
    "a provider changed in place keeps its stats and actor; new settings apply to new requests",
    "[reload]") {
  test::config_builder before;
  before.provider("a", 1).model("m", {"a"});
  before.s.providers[0].api_key = "sk-old";
  reload_fixture f{before.build()};
  auto stats = f.stats_of("a");
  auto actor = f.gw->provider_actor_for_test(0);

  // One request in flight takes the only slot.
  auto first = f.submit("m");
  auto a1 = f.transport->wait_attempt(0);
  REQUIRE(a1);
  CHECK(stats->in_flight == 1);

  test::config_builder after;
  after.provider("a", 2).model("m", {"a"});
  after.s.providers[0].api_key = "sk-new";
  REQUIRE(f.gw->reload(after.build()));
  CHECK(f.stats_of("a") == stats);  // health, latency and counters carry on
  CHECK(f.gw->provider_actor_for_test(0) == actor);
  CHECK(stats->limit == 2);

  // The raised limit admits a second one at once, with the new key; the first keeps the old.
  auto second = f.submit("m");
  auto a2 = f.transport->wait_attempt(1);
  REQUIRE(a2);
  CHECK(a2->spec.provider->api_key == "sk-new");
  CHECK(a1->spec.provider->api_key == "sk-old");
  CHECK(stats->in_flight == 2);
  a1->succeed();
  a2->succeed();
  REQUIRE(f.observer->wait_record(1));
  CHECK(eventually([&] { return stats->in_flight.load() == 0; }));
}

TEST_CASE("a provider given a new upstream gets a new actor; the old one drains, then ends",
          "[reload]") {
  test::config_builder before;
  before.provider("a").model("m", {"a"});
  before.s.providers[0].base_url = "http://old:1";
  reload_fixture f{before.build()};
  auto old_stats = f.stats_of("a");

  auto in_flight = f.submit("m");
  auto old_attempt = f.transport->wait_attempt(0);
  REQUIRE(old_attempt);

  test::config_builder after;
  after.provider("a").model("m", {"a"});
  after.s.providers[0].base_url = "http://new:1";
  REQUIRE(f.gw->reload(after.build()));
  auto new_stats = f.stats_of("a");
  REQUIRE(new_stats);
  CHECK(new_stats != old_stats);
  CHECK(new_stats->admitted_total == 0);

  auto fresh = f.submit("m");
  auto new_attempt = f.transport->wait_attempt(1);
  REQUIRE(new_attempt);
  CHECK(new_attempt->spec.provider->base_url == "http://new:1");
  CHECK(old_attempt->spec.provider->base_url == "http://old:1");
  new_attempt->succeed();
  REQUIRE(f.observer->wait_record(0));

  // The old actor is still reachable from the request in flight: alive until it ends.
  CHECK(old_stats->alive == 1);
  old_attempt->succeed();
  auto rec = f.observer->wait_record(1);
  REQUIRE(rec);
  CHECK(rec->status == 200);
  CHECK(eventually([&] { return old_stats->alive.load() == 0; }));
  CHECK(old_stats->in_flight == 0);
  CHECK(new_stats->alive == 1);
}

TEST_CASE("a removed provider leaves the routes and its stats; its actor ends once unused",
          "[reload]") {
  reload_fixture f{test::config_builder{}
                       .provider("a")
                       .provider("b")
                       .model("m", {"a"})
                       .model("x", {"b"})
                       .build()};
  auto b_stats = f.stats_of("b");
  auto in_flight = f.submit("x");
  auto attempt = f.transport->wait_attempt(0);
  REQUIRE(attempt);

  REQUIRE(f.gw->reload(test::config_builder{}.provider("a").model("m", {"a"}).build()));
  CHECK(f.stats_of("b") == nullptr);
  CHECK(f.gw->provider_stats_list().size() == 1);
  CHECK(f.gw->routes()->find("x") == nullptr);

  // A new request for the removed model is unknown now.
  auto refused = f.submit("x");
  auto err = refused->wait_error();
  REQUIRE(err);
  CHECK(err->code == protocols::gateway_error::model_not_found);

  // The one in flight finishes on `b`, whose actor then ends.
  attempt->succeed();
  bool found = false;
  for (std::size_t i = 0; i < 2 && !found; ++i) {
    auto rec = f.observer->wait_record(i);
    REQUIRE(rec);
    found = rec->provider == "b" && rec->status == 200;
  }
  CHECK(found);
  CHECK(eventually([&] { return b_stats->alive.load() == 0; }));
}

TEST_CASE("a reload that raises a provider's limit admits its waiters at once", "[reload]") {
  test::config_builder before;
  before.provider("a", 1, 4).model("m", {"a"});
  before.s.providers[0].queue_timeout = 60s;  // only the reload can admit the waiter in time
  reload_fixture f{before.build()};
  auto stats = f.stats_of("a");
  auto first = f.submit("m");
  auto a1 = f.transport->wait_attempt(0);
  REQUIRE(a1);
  auto second = f.submit("m");
  REQUIRE(eventually([&] { return stats->queued.load() == 1; }));

  test::config_builder after;
  after.provider("a", 2, 4).model("m", {"a"});
  after.s.providers[0].queue_timeout = 60s;
  REQUIRE(f.gw->reload(after.build()));
  auto a2 = f.transport->wait_attempt(1);
  REQUIRE(a2);
  CHECK(stats->queued == 0);
  CHECK(stats->in_flight == 2);
  a1->succeed();
  a2->succeed();
  REQUIRE(f.observer->wait_record(1));
}

TEST_CASE("a reload that disables a provider answers its waiters instead of leaving them queued",
          "[reload]") {
  test::config_builder before;
  before.provider("a", 1, 4).model("m", {"a"});
  before.s.providers[0].queue_timeout = 60s;
  reload_fixture f{before.build()};
  auto stats = f.stats_of("a");
  auto first = f.submit("m");
  auto a1 = f.transport->wait_attempt(0);
  REQUIRE(a1);
  auto waiting = f.submit("m");
  REQUIRE(eventually([&] { return stats->queued.load() == 1; }));

  test::config_builder after;
  after.provider("a", 1, 4, false).model("m", {"a"});
  after.s.providers[0].queue_timeout = 60s;
  REQUIRE(f.gw->reload(after.build()));
  auto err = waiting->wait_error();  // well before its 60 s queue timeout
  REQUIRE(err);
  CHECK(stats->queued == 0);
  CHECK(f.transport->count() == 1);
  a1->succeed();  // the one in flight finishes on its slot
  CHECK(eventually([&] { return stats->in_flight.load() == 0; }));
}

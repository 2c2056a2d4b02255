// Budget leases in the budget book (cluster mode), on manual clocks: a request that does not
// fit waits for a top-up and takes nothing meanwhile; settled spend moves from the lease to the
// unreported total; answers never leave a node more than the counters hold for it; an expired
// lease is not spent; and what a lease too small does after an answer, or with the counters down.
#include <catch2/catch.hpp>

#include "actors/budget_book.hpp"
#include "config/budget_period.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using namespace std::chrono_literals;

namespace {

config::wall_time at(std::string_view s) {
  return *config::parse_rfc3339_utc(s);
}

const std::string key_id = std::string(16, 'a');

struct fixture {
  std::shared_ptr<manual_wall_clock> wall =
      std::make_shared<manual_wall_clock>(at("2026-11-25T12:00:00Z"));
  std::shared_ptr<manual_clock> mono = std::make_shared<manual_clock>();
  config::snapshot snap;

  explicit fixture(double budget_usd) {
    config::tenant_config t;
    t.name = "team";
    config::budget_config b;
    b.usd = budget_usd;
    b.period = config::budget_period::daily;
    t.limits.budget = b;
    // No rate limit: in cluster mode it is decided on its own shared slice (test_rate_slice.cpp),
    // which would be asked for first.
    config::key_config k;
    k.hash = std::string(64, 'a');
    t.keys.push_back(k);
    snap.tenants.push_back(t);
  }
  const config::tenant_config& tenant() const { return snap.tenants[0]; }
};

// 1 USD per 1000 tokens in and out.
spend_demand demand(std::uint32_t prompt, std::optional<std::uint32_t> max_tokens) {
  spend_demand d;
  d.prompt_tokens = prompt;
  d.max_tokens = max_tokens;
  d.input_usd_per_token = 0.001;
  d.output_usd_per_token = 0.001;
  return d;
}

// The counters grant `grant` and then hold `own` for this node; the cluster has spent `spent`.
void answer(limit_account& a, fixture& f, double grant, double own, double spent = 0,
            double need = 0) {
  auto ex = a.begin_lease_exchange(f.wall->now(), f.mono->now(), true, {});
  REQUIRE(ex);
  ex->need = need;
  lease_answer ans;
  ans.granted = grant;
  ans.own = own;
  ans.spent = spent;
  ans.ttl = 3s;
  ans.hold_off = 100ms;
  a.end_lease_exchange(*ex, ans, f.mono->now());
}

}  // namespace

TEST_CASE("lease: without a lease a request asks for a top-up and takes nothing") {
  fixture f(10.0);
  f.snap.tenants[0].limits.rpm = 1000;
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  REQUIRE(tenant->leased());
  // The rpm slice is there: only the lease is short.
  auto take = tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now());
  REQUIRE(take);
  tenant->end_rate_exchange(*take, rate_answer{10, 1, 10, 0ms}, f.mono->now());
  auto v = book.admit(f.tenant(), key_id, demand(100, 200));
  CHECK_FALSE(v.error);
  CHECK_FALSE(v.hold);
  REQUIRE(v.lease_shortfall.size() == 1);
  CHECK(v.lease_shortfall[0].first == tenant);
  CHECK(v.lease_shortfall[0].second == Approx(0.3));
  // Nothing reserved, and the rate window was not charged either.
  CHECK(tenant->budget(f.wall->now())->reserved == 0);
  CHECK(tenant->requests(f.mono->now())->remaining == 1000);
  CHECK(tenant->slice(rate_kind::rpm).used == 0);
}

TEST_CASE("lease: a granted lease admits locally; settled spend becomes unreported spend") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  answer(*tenant, f, 1.0, 1.0);

  auto v = book.admit(f.tenant(), key_id, demand(100, 200));
  REQUIRE_FALSE(v.error);
  REQUIRE(v.hold);
  CHECK(v.lease_shortfall.empty());
  v.hold->settle(0.25, 250);

  auto ex = tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), true, {});
  REQUIRE(ex);
  CHECK(ex->counter_id == "tenant:team");
  CHECK(ex->reported == Approx(0.25));
  CHECK(ex->room == Approx(0.75));
  CHECK(ex->limit == 10.0);
  CHECK(ex->valid);
  // Taken: a second exchange reports nothing more until more is settled.
  auto again = tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), true, {});
  CHECK(again->reported == 0);
  tenant->fail_lease_exchange(*again);
  // A failed exchange gives its spend back, to be reported next time.
  tenant->fail_lease_exchange(*ex);
  auto third = tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), true, {});
  CHECK(third->reported == Approx(0.25));
}

TEST_CASE("lease: a node never keeps more than the counters hold for it") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  answer(*tenant, f, 1.0, 1.0);
  // The counters reclaimed most of it (this node's reports had stopped for a TTL).
  answer(*tenant, f, 0.0, 0.2);
  auto ex = tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), false, {});
  CHECK(ex->room == Approx(0.2));
  tenant->fail_lease_exchange(*ex);
  auto v = book.admit(f.tenant(), key_id, demand(100, 200), lease_mode::final);
  REQUIRE_FALSE(v.error);
  CHECK(v.max_tokens == 100u);  // capped to what the lease can pay: 0.1 prompt + 0.1 output
}

TEST_CASE("lease: a lease not renewed within its TTL is not spent") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  answer(*tenant, f, 1.0, 1.0);
  REQUIRE(book.admit(f.tenant(), key_id, demand(10, 10)).hold);
  f.mono->advance(3s);
  auto v = book.admit(f.tenant(), key_id, demand(10, 10));
  CHECK_FALSE(v.hold);
  REQUIRE(v.lease_shortfall.size() == 1);
}

TEST_CASE("lease: after an answer, a lease too small caps the output, then refuses with 402") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  answer(*tenant, f, 0.05, 0.05, 9.95, 0.3);
  auto capped = book.admit(f.tenant(), key_id, demand(10, 200), lease_mode::final);
  REQUIRE(capped.hold);
  CHECK(capped.max_tokens == 40u);
  auto refused = book.admit(f.tenant(), key_id, demand(10, 200), lease_mode::final);
  REQUIRE(refused.error);
  CHECK(refused.error->code == protocols::gateway_error::budget_exhausted);
  CHECK(refused.reason == limit_reason::budget);
}

TEST_CASE("lease: a pool found short is not asked again at once") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  // A request needed 0.3; the pool had 0.01 left.
  answer(*tenant, f, 0.01, 0.01, 9.99, 0.3);
  auto v = book.admit(f.tenant(), key_id, demand(100, 200));
  CHECK(v.lease_shortfall.empty());
  REQUIRE(v.error);
  CHECK(v.error->code == protocols::gateway_error::budget_exhausted);
  // After the hold-off, the next request asks again (another node may have returned a lease).
  f.mono->advance(150ms);
  CHECK(book.admit(f.tenant(), key_id, demand(100, 200)).lease_shortfall.size() == 1);
}

TEST_CASE("lease: with the counters down, closed budgets answer 503 and open ones decide alone") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto closed = book.admit(f.tenant(), key_id, demand(100, 200), lease_mode::down_closed);
  REQUIRE(closed.error);
  CHECK(closed.error->code == protocols::gateway_error::counters_unavailable);
  CHECK(closed.error->retry_after_s == 5u);
  CHECK(closed.error->message.find("tenant `team`") != std::string::npos);
  CHECK(closed.error->message.find("Redis") != std::string::npos);

  auto open = book.admit(f.tenant(), key_id, demand(100, 200), lease_mode::down_open);
  REQUIRE_FALSE(open.error);
  REQUIRE(open.hold);
  open.hold->settle(0.3, 300);
  // Spend made on this node's own figures is still reported when the counters come back.
  auto ex =
      book.tenant_account("team")->begin_lease_exchange(f.wall->now(), f.mono->now(), true, {});
  CHECK(ex->reported == Approx(0.3));
}

TEST_CASE("lease: a held lease serves while the counters are down") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  answer(*book.tenant_account("team"), f, 1.0, 1.0);
  auto v = book.admit(f.tenant(), key_id, demand(100, 200), lease_mode::down_closed);
  CHECK_FALSE(v.error);
  CHECK(v.hold);
}

TEST_CASE("lease: a release takes only the free room; a new period starts without a lease") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  answer(*tenant, f, 1.0, 1.0);
  auto v = book.admit(f.tenant(), key_id, demand(100, 200));  // reserves 0.3
  REQUIRE(v.hold);
  auto ex =
      tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), true, clock::time_point::max());
  CHECK(ex->released == Approx(0.7));
  CHECK(tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), false, {})->room == Approx(0.0));
  tenant->fail_lease_exchange(*ex);  // not returned after all: the room comes back
  auto room =
      tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), false, clock::time_point::max());
  CHECK(room->released == Approx(0.7));
  tenant->fail_lease_exchange(*room);

  // Midnight UTC: a new daily budget, whose counters are keyed by the new period's start.
  f.wall->set(at("2026-11-26T00:00:01Z"));
  auto next = tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), false, {});
  CHECK(next->period_start == at("2026-11-26T00:00:00Z"));
  CHECK(next->room <= 0);
  CHECK(next->seed == 0);
}

TEST_CASE("lease: the store's spend seeds the shared counters; budget() shows the cluster's") {
  fixture f(10.0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  tenant->seed_spend(2.5);
  auto ex = tenant->begin_lease_exchange(f.wall->now(), f.mono->now(), false, {});
  CHECK(ex->seed == Approx(2.5));
  tenant->fail_lease_exchange(*ex);
  answer(*tenant, f, 1.0, 1.0, 6.0);
  CHECK(tenant->budget(f.wall->now())->spent == Approx(6.0));
}

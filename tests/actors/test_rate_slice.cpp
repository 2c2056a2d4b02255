// Shared rate windows in the budget book (cluster mode), on manual clocks, with the counters'
// answers made by hand: a request without a slice asks for one and takes nothing; a slice admits
// locally until it is used up; a full window refuses with the script's wait and no round trip for
// a while; what a slice did not use goes back once its second has ended; tpm corrections carry
// into the next take; and with the counters unreachable, the node's own windows decide.
#include <catch2/catch.hpp>

#include "actors/budget_book.hpp"
#include "config/budget_period.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using namespace std::chrono_literals;

namespace {

const std::string key_id = std::string(16, 'b');

struct fixture {
  std::shared_ptr<manual_wall_clock> wall =
      std::make_shared<manual_wall_clock>(*config::parse_rfc3339_utc("2026-11-25T12:00:00Z"));
  std::shared_ptr<manual_clock> mono = std::make_shared<manual_clock>();
  config::snapshot snap;

  fixture(std::uint32_t rpm, std::uint32_t tpm) {
    config::tenant_config t;
    t.name = "team";
    t.limits.rpm = rpm;
    t.limits.tpm = tpm;
    config::key_config k;
    k.hash = std::string(64, 'b');
    t.keys.push_back(k);
    snap.tenants.push_back(t);
  }
  const config::tenant_config& tenant() const { return snap.tenants[0]; }
};

spend_demand prompt(std::uint32_t tokens) {
  spend_demand d;
  d.prompt_tokens = tokens;
  return d;
}

// The counters' answer to the take `ex`: `granted` into Redis second `second`.
void answer(limit_account& a, const rate_exchange& ex, std::uint64_t granted, std::int64_t second,
            std::uint64_t window_used, std::chrono::milliseconds wait, clock::time_point now) {
  a.end_rate_exchange(ex, rate_answer{granted, second, window_used, wait}, now);
}

std::string header(const admission_verdict& v, const std::string& name) {
  for (const auto& [n, value] : v.headers)
    if (n == name) return value;
  return "(absent)";
}

}  // namespace

TEST_CASE("rate slice: no slice → ask for one and take nothing; a slice admits until used up") {
  fixture f(600, 0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");

  auto v = book.admit(f.tenant(), key_id, prompt(10));
  CHECK_FALSE(v.error);
  CHECK_FALSE(v.hold);
  REQUIRE(v.rate_shortfall.size() == 1);
  CHECK(v.rate_shortfall[0].account == tenant);
  CHECK(v.rate_shortfall[0].kind == rate_kind::rpm);
  CHECK(v.rate_shortfall[0].need == 1);
  CHECK(tenant->requests(f.mono->now())->remaining == 600);  // the local window was not charged

  auto ex = tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now());
  REQUIRE(ex);
  CHECK(ex->counter_id == "tenant:team");
  CHECK(ex->limit == 600);
  CHECK(ex->need == 1);
  CHECK(ex->want == 5);  // a 120th of the limit
  CHECK(ex->back_amount == 0);
  // One exchange at a time: a second job finds this one under way.
  CHECK_FALSE(tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now()));
  answer(*tenant, *ex, 5, 1000, 5, 0ms, f.mono->now());
  // Its room covers the next request: nothing to ask for.
  CHECK_FALSE(tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now()));

  for (int i = 0; i < 5; ++i) {
    auto ok = book.admit(f.tenant(), key_id, prompt(10));
    REQUIRE_FALSE(ok.error);
    REQUIRE(ok.hold);
    CHECK(ok.rate_shortfall.empty());
    // The cluster's count (5 taken, 5 - i - 1 of them still unused here).
    CHECK(header(ok, "x-ratelimit-remaining-requests") == std::to_string(600 - 5 + (4 - i)));
  }
  CHECK(tenant->slice(rate_kind::rpm).used == 5);
  auto sixth = book.admit(f.tenant(), key_id, prompt(10));
  CHECK_FALSE(sixth.error);
  REQUIRE(sixth.rate_shortfall.size() == 1);
}

TEST_CASE("rate slice: a full window refuses with the script's wait, without asking for a while") {
  fixture f(600, 0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  auto ex = tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now());
  REQUIRE(ex);
  answer(*tenant, *ex, 0, 1000, 600, 4200ms, f.mono->now());

  auto v = book.admit(f.tenant(), key_id, prompt(10));
  REQUIRE(v.error);
  CHECK(v.error->code == protocols::gateway_error::rate_limited);
  CHECK(v.error->retry_after_s == 5u);  // 4.2 s, rounded up
  CHECK(v.reason == limit_reason::rpm);
  CHECK(v.rate_shortfall.empty());
  CHECK(header(v, "x-ratelimit-remaining-requests") == "0");
  CHECK(header(v, "x-ratelimit-reset-requests") == "4.2s");
  CHECK(tenant->requests(f.mono->now())->remaining == 600);

  // The hold-off is shorter than the wait: other nodes' give-backs may free room sooner.
  f.mono->advance(refusal_hold_off);
  auto again = book.admit(f.tenant(), key_id, prompt(10));
  CHECK_FALSE(again.error);
  REQUIRE(again.rate_shortfall.size() == 1);

  // Room again: one granted. A later refusal does not repeat the old wait.
  auto take = tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now());
  REQUIRE(take);
  answer(*tenant, *take, 1, 1005, 600, 0ms, f.mono->now());
  REQUIRE(book.admit(f.tenant(), key_id, prompt(10)).hold);
  auto after = book.admit(f.tenant(), key_id, prompt(10), lease_mode::wait, true);
  REQUIRE(after.error);
  CHECK(after.error->retry_after_s == 1u);
}

TEST_CASE("rate slice: once the counters answered, a slice still short refuses") {
  fixture f(600, 0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  auto ex = tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now());
  REQUIRE(ex);
  answer(*tenant, *ex, 1, 1000, 600, 0ms, f.mono->now());
  REQUIRE(book.admit(f.tenant(), key_id, prompt(10)).hold);  // the one granted
  // Another node took the rest meanwhile: this request asked and got nothing (no wait known).
  auto v = book.admit(f.tenant(), key_id, prompt(10), lease_mode::wait, true);
  REQUIRE(v.error);
  CHECK(v.error->code == protocols::gateway_error::rate_limited);
  CHECK(v.error->retry_after_s == 1u);
  CHECK(v.rate_shortfall.empty());
}

TEST_CASE("rate slice: the unused part goes back once the slice's second has ended") {
  fixture f(600, 0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  auto ex = tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now());
  REQUIRE(ex);
  answer(*tenant, *ex, 5, 1000, 5, 0ms, f.mono->now());
  REQUIRE(book.admit(f.tenant(), key_id, prompt(10)).hold);
  REQUIRE(book.admit(f.tenant(), key_id, prompt(10)).hold);

  CHECK_FALSE(tenant->begin_rate_exchange(rate_kind::rpm, 0, f.mono->now()));  // still live
  f.mono->advance(slice_life);
  auto back = tenant->begin_rate_exchange(rate_kind::rpm, 0, f.mono->now());
  REQUIRE(back);
  CHECK(back->want == 0);
  CHECK(back->need == 0);
  CHECK(back->back_second == 1000);
  CHECK(back->back_amount == 3);
  answer(*tenant, *back, 0, 1001, 2, 0ms, f.mono->now());
  CHECK(tenant->slice(rate_kind::rpm).room(f.mono->now()) == 0);
  // Nothing left to give back.
  CHECK_FALSE(tenant->begin_rate_exchange(rate_kind::rpm, 0, f.mono->now()));
  // An expired slice does not admit: the next request asks.
  CHECK(book.admit(f.tenant(), key_id, prompt(10)).rate_shortfall.size() == 1);
}

TEST_CASE(
    "rate slice: tpm is charged the estimate, and the real count carries into the next take") {
  fixture f(0, 12000);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");

  auto v = book.admit(f.tenant(), key_id, prompt(300));
  REQUIRE(v.rate_shortfall.size() == 1);
  CHECK(v.rate_shortfall[0].kind == rate_kind::tpm);
  CHECK(v.rate_shortfall[0].need == 300);
  auto ex = tenant->begin_rate_exchange(rate_kind::tpm, 300, f.mono->now());
  REQUIRE(ex);
  CHECK(ex->want == 300);  // the request needs more than a 120th of the limit
  answer(*tenant, *ex, 300, 1000, 300, 0ms, f.mono->now());

  auto ok = book.admit(f.tenant(), key_id, prompt(300));
  REQUIRE(ok.hold);
  CHECK(tenant->slice(rate_kind::tpm).used == 300);
  ok.hold->settle(0, 450);  // 150 more than the estimate (its output)
  CHECK(tenant->slice(rate_kind::tpm).used == 450);

  auto next = tenant->begin_rate_exchange(rate_kind::tpm, 100, f.mono->now());
  REQUIRE(next);
  CHECK(next->over == 150);
  CHECK(next->back_amount == 0);
  CHECK(next->need == 250);  // the overuse is covered by the new grant
  CHECK(next->want == 250);
  answer(*tenant, *next, 250, 1000, 700, 0ms, f.mono->now());
  CHECK(tenant->slice(rate_kind::tpm).used == 150);
  CHECK(tenant->slice(rate_kind::tpm).room(f.mono->now()) == 100);

  // Fewer tokens than estimated give room back to the slice.
  auto small = book.admit(f.tenant(), key_id, prompt(100));
  REQUIRE(small.hold);
  small.hold->settle(0, 40);
  CHECK(tenant->slice(rate_kind::tpm).room(f.mono->now()) == 60);
}

TEST_CASE("rate slice: a failed take keeps the overuse, and frees the slice for the next take") {
  fixture f(0, 12000);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  auto tenant = book.tenant_account("team");
  auto ex = tenant->begin_rate_exchange(rate_kind::tpm, 100, f.mono->now());
  REQUIRE(ex);
  answer(*tenant, *ex, 100, 1000, 100, 0ms, f.mono->now());
  auto ok = book.admit(f.tenant(), key_id, prompt(100));
  REQUIRE(ok.hold);
  ok.hold->settle(0, 130);
  auto failed = tenant->begin_rate_exchange(rate_kind::tpm, 100, f.mono->now());
  REQUIRE(failed);
  tenant->fail_rate_exchange(*failed);
  auto retry = tenant->begin_rate_exchange(rate_kind::tpm, 100, f.mono->now());
  REQUIRE(retry);
  CHECK(retry->over == 30);
  tenant->fail_rate_exchange(*retry);
}

TEST_CASE("rate slice: with the counters unreachable, this node's own windows decide") {
  fixture f(2, 0);
  budget_book book{f.snap, f.wall, f.mono};
  book.enable_leases();
  for (auto mode : {lease_mode::down_open, lease_mode::down_closed}) {
    f.mono->advance(61s);  // a fresh local window
    REQUIRE(book.admit(f.tenant(), key_id, prompt(10), mode).hold);
    REQUIRE(book.admit(f.tenant(), key_id, prompt(10), mode).hold);
    auto third = book.admit(f.tenant(), key_id, prompt(10), mode);
    REQUIRE(third.error);
    CHECK(third.reason == limit_reason::rpm);
    CHECK(third.rate_shortfall.empty());
  }
}

TEST_CASE("rate slice: without cluster mode there are no slices") {
  fixture f(2, 0);
  budget_book book{f.snap, f.wall, f.mono};
  auto tenant = book.tenant_account("team");
  CHECK_FALSE(tenant->begin_rate_exchange(rate_kind::rpm, 1, f.mono->now()));
  CHECK(book.admit(f.tenant(), key_id, prompt(10)).hold);
  CHECK(book.admit(f.tenant(), key_id, prompt(10)).hold);
  CHECK(book.admit(f.tenant(), key_id, prompt(10)).error);
}

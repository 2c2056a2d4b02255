// The budget book follows a new configuration (admin change, SIGHUP): accounts that stay keep
// their spend, reservations and windows under new limits; new tenants and keys get accounts,
// seeded with their period's spend; the ones gone are no longer enforced.
#include <catch2/catch.hpp>

#include <vector>

#include "actors/budget_book.hpp"
#include "config/budget_period.hpp"

using namespace switchyard;
using namespace switchyard::actors;

namespace {

struct fixture {
  std::shared_ptr<manual_wall_clock> wall =
      std::make_shared<manual_wall_clock>(*config::parse_rfc3339_utc("2026-11-25T12:00:00Z"));
  std::shared_ptr<manual_clock> mono = std::make_shared<manual_clock>();
  config::snapshot snap;

  fixture() {
    config::tenant_config t;
    t.name = "team";
    t.limits.budget = budget(1.0);
    config::key_config k;
    k.hash = std::string(64, 'a');
    k.name = "ci";
    t.keys.push_back(k);
    snap.tenants.push_back(t);
  }
  static config::budget_config budget(double usd,
                                      config::budget_period p = config::budget_period::daily) {
    config::budget_config b;
    b.usd = usd;
    b.period = p;
    return b;
  }
};

const std::string key_a = std::string(16, 'a');
const std::string key_c = std::string(16, 'c');

// 1 USD per 1000 tokens in and out.
spend_demand demand(std::uint32_t prompt, std::uint32_t max_tokens) {
  spend_demand d;
  d.prompt_tokens = prompt;
  d.max_tokens = max_tokens;
  d.input_usd_per_token = 0.001;
  d.output_usd_per_token = 0.001;
  return d;
}

}  // namespace

TEST_CASE("budget reconfigure: kept accounts keep spend, reservations and windows") {
  fixture f;
  f.snap.tenants[0].limits.rpm = 5;
  budget_book book{f.snap, f.wall, f.mono};
  auto before = book.tenant_account("team");
  auto held = book.admit(f.snap.tenants[0], key_a, demand(100, 100));  // reserves 0.2
  REQUIRE(held.hold);
  auto settled = book.admit(f.snap.tenants[0], key_a, demand(100, 100));
  REQUIRE(settled.hold);
  settled.hold->settle(0.3, 300);

  auto next = f.snap;
  next.tenants[0].limits.budget = fixture::budget(2.0);  // same period: a raise
  next.tenants[0].limits.rpm = 2;
  std::vector<budget_book::seed_request> seeded;
  book.reconfigure(next, [&](const budget_book::seed_request& s) {
    seeded.push_back(s);
    return 0.0;
  });

  CHECK(seeded.empty());  // nothing starts a period from zero
  CHECK(book.tenant_account("team") == before);
  auto b = *book.tenant_account("team")->budget(f.wall->now());
  CHECK(b.config.usd == Approx(2.0));
  CHECK(b.spent == Approx(0.3));
  CHECK(b.reserved == Approx(0.2));
  CHECK(b.reservations == 1);
  // Two requests are already in this window: the new rpm of 2 refuses the third at once.
  auto v = book.admit(next.tenants[0], key_a, demand(10, 10));
  REQUIRE(v.error);
  CHECK(v.reason == limit_reason::rpm);
  CHECK(book.tenant_stats("team")->rejected[1].load() == 1);
  // The hold taken before the change still settles into the kept account.
  held.hold->settle(0.1, 200);
  b = *book.tenant_account("team")->budget(f.wall->now());
  CHECK(b.spent == Approx(0.4));
  CHECK(b.reservations == 0);
}

TEST_CASE("budget reconfigure: new tenants and keys are limited, seeded from their period") {
  fixture f;
  budget_book book{f.snap, f.wall, f.mono};
  CHECK_FALSE(book.tenant_account("new"));

  auto next = f.snap;
  config::tenant_config t;
  t.name = "new";
  t.limits.rpm = 1;
  next.tenants.push_back(t);
  config::key_config k;
  k.hash = std::string(64, 'c');
  k.limits.budget = fixture::budget(0.5, config::budget_period::monthly);
  next.tenants[0].keys.push_back(k);
  next.tenants[0].keys[0].limits.budget = fixture::budget(1.0, config::budget_period::weekly);

  std::vector<budget_book::seed_request> seeded;
  book.reconfigure(next, [&](const budget_book::seed_request& s) {
    seeded.push_back(s);
    return s.key_id == key_c ? 0.45 : 0.0;
  });

  // The new key's monthly budget and the old key's newly added weekly one are seeded from the
  // start of their periods; the new tenant has no budget, the team's own is unchanged.
  REQUIRE(seeded.size() == 2);
  for (const auto& s : seeded) {
    CHECK(s.tenant == "team");
    if (s.key_id == key_c)
      CHECK(s.since == *config::parse_rfc3339_utc("2026-11-01T00:00:00Z"));
    else
      CHECK(s.key_id == key_a);
  }
  CHECK(book.key_account(key_c)->budget(f.wall->now())->spent == Approx(0.45));
  // 0.05 left on the new key: too little for a 16-token answer to a 100-token prompt.
  auto v = book.admit(next.tenants[0], key_c, demand(100, 100));
  REQUIRE(v.error);
  CHECK(v.reason == limit_reason::budget);

  REQUIRE(book.tenant_account("new"));
  CHECK(book.admit(next.tenants[1], "", demand(1, 1)).hold);
  auto refused = book.admit(next.tenants[1], "", demand(1, 1));
  CHECK(refused.reason == limit_reason::rpm);
}

TEST_CASE(
    "budget reconfigure: tenants and keys gone are dropped, a removed budget stops applying") {
  fixture f;
  budget_book book{f.snap, f.wall, f.mono};
  auto next = f.snap;
  next.tenants[0].keys.clear();
  next.tenants[0].limits.budget.reset();
  book.reconfigure(next, nullptr);
  CHECK_FALSE(book.key_account(key_a));
  CHECK_FALSE(book.tenant_account("team")->budget(f.wall->now()));

  next.tenants.clear();
  book.reconfigure(next, nullptr);
  CHECK_FALSE(book.tenant_account("team"));
  CHECK_FALSE(book.tenant_stats("team"));
  CHECK_FALSE(book.admit(f.snap.tenants[0], key_a, demand(1, 1)).error);  // not in the book
}

// The budget book: reservations, settlement, lowered output caps, 402s, UTC period resets on a
// manual wall clock (on a request or on the periodic sweep), sliding rate windows on a manual
// monotonic clock, and no overshoot when many threads race for the last dollars.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "actors/budget_book.hpp"
#include "config/budget_period.hpp"

using namespace switchyard;
using namespace switchyard::actors;
using std::chrono::seconds;

namespace {

config::wall_time at(std::string_view s) {
  return *config::parse_rfc3339_utc(s);
}

struct fixture {
  std::shared_ptr<manual_wall_clock> wall =
      std::make_shared<manual_wall_clock>(at("2026-11-25T12:00:00Z"));
  std::shared_ptr<manual_clock> mono = std::make_shared<manual_clock>();
  config::snapshot snap;

  fixture() {
    config::tenant_config t;
    t.name = "team";
    config::key_config k;
    k.hash = std::string(64, 'a');
    k.name = "ci";
    t.keys.push_back(k);
    config::key_config plain;
    plain.hash = std::string(64, 'b');
    t.keys.push_back(plain);
    snap.tenants.push_back(t);
  }
  config::tenant_config& tenant() { return snap.tenants[0]; }
  config::key_config& key() { return snap.tenants[0].keys[0]; }
  budget_book book() { return budget_book{snap, wall, mono}; }
};

const std::string key_a = std::string(16, 'a');
const std::string key_b = std::string(16, 'b');

// 1 USD per 1000 tokens in and out: costs are easy to read.
spend_demand demand(std::uint32_t prompt, std::optional<std::uint32_t> max_tokens) {
  spend_demand d;
  d.prompt_tokens = prompt;
  d.max_tokens = max_tokens;
  d.input_usd_per_token = 0.001;
  d.output_usd_per_token = 0.001;
  return d;
}

config::budget_config usd(double v, config::budget_period p = config::budget_period::daily) {
  config::budget_config b;
  b.usd = v;
  b.period = p;
  return b;
}

}  // namespace

TEST_CASE("budget: a request that fits reserves its worst case and settles its real cost") {
  fixture f;
  f.tenant().limits.budget = usd(1.0);
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(100, 200));
  REQUIRE_FALSE(v.error);
  REQUIRE(v.hold);
  CHECK(v.hold->reserved_usd() == Approx(0.3));
  CHECK_FALSE(v.max_tokens);  // the client's own cap fits: the request goes as sent
  auto s = *book.tenant_account("team")->budget(f.wall->now());
  CHECK(s.reserved == Approx(0.3));
  CHECK(s.reservations == 1);
  CHECK(s.remaining == Approx(0.7));
  v.hold->settle(0.12, 180);
  s = *book.tenant_account("team")->budget(f.wall->now());
  CHECK(s.spent == Approx(0.12));
  CHECK(s.reserved == 0);
  CHECK(s.reservations == 0);
  CHECK(s.remaining == Approx(0.88));
}

TEST_CASE("budget: without max_tokens the default output reserve is sent upstream") {
  fixture f;
  f.tenant().limits.budget = usd(100.0);
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(10, std::nullopt));
  REQUIRE_FALSE(v.error);
  REQUIRE(v.max_tokens);
  CHECK(*v.max_tokens == default_output_reserve);
  CHECK(v.hold->reserved_usd() == Approx(0.001 * (10 + default_output_reserve)));
}

TEST_CASE("budget: free output is never capped") {
  fixture f;
  f.tenant().limits.budget = usd(1.0);
  auto book = f.book();
  auto d = demand(100, std::nullopt);
  d.output_usd_per_token = 0;
  auto v = book.admit(f.tenant(), key_a, d);
  REQUIRE_FALSE(v.error);
  CHECK_FALSE(v.max_tokens);
  CHECK(v.hold->reserved_usd() == Approx(0.1));
}

TEST_CASE("budget: without any budget nothing is reserved and nothing is capped") {
  fixture f;
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(10, std::nullopt));
  REQUIRE_FALSE(v.error);
  CHECK_FALSE(v.max_tokens);
  CHECK(v.hold->reserved_usd() == 0);
  CHECK(v.headers.empty());
}

TEST_CASE("budget: when less remains, max_tokens is lowered to what fits, then 402") {
  fixture f;
  f.tenant().limits.budget = usd(0.2);
  auto book = f.book();
  // 100 prompt + 1000 output would cost 1.1; 0.2 leaves room for 100 output tokens.
  auto v = book.admit(f.tenant(), key_a, demand(100, 1000));
  REQUIRE_FALSE(v.error);
  REQUIRE(v.max_tokens);
  CHECK(*v.max_tokens == 100);
  CHECK(v.hold->reserved_usd() == Approx(0.2));
  // Nothing left while it is in flight: the next one cannot even get 16 tokens.
  auto refused = book.admit(f.tenant(), key_a, demand(1, 50));
  REQUIRE(refused.error);
  CHECK(refused.error->code == protocols::gateway_error::budget_exhausted);
  CHECK(*refused.reason == limit_reason::budget);
  CHECK_FALSE(refused.hold);
  CHECK_THAT(refused.error->message, Catch::Contains("tenant `team`") &&
                                         Catch::Contains("USD 0.2 per day") &&
                                         Catch::Contains("2026-11-26T00:00:00Z"));
  CHECK(book.tenant_stats("team")->rejected[0].load() == 1);
  // Settling for less frees the rest.
  v.hold->settle(0.15, 150);
  auto small = book.admit(f.tenant(), key_a, demand(10, 100));
  REQUIRE_FALSE(small.error);
  CHECK(*small.max_tokens == 40);
  // Under 16 output tokens is no answer at all.
  small.hold->settle(0.05, 50);
  auto none = book.admit(f.tenant(), key_a, demand(1, 100));
  REQUIRE(none.error);
}

TEST_CASE("budget: a request must fit its key's budget and its tenant's") {
  fixture f;
  f.tenant().limits.budget = usd(10.0);
  f.key().limits.budget = usd(0.05, config::budget_period::weekly);
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(10, 100));
  REQUIRE_FALSE(v.error);
  CHECK(*v.max_tokens == 40);  // the key's 0.05, not the tenant's 10
  auto refused = book.admit(f.tenant(), key_a, demand(10, 100));
  REQUIRE(refused.error);
  CHECK_THAT(refused.error->message, Catch::Contains("key `ci`") && Catch::Contains("per week") &&
                                         Catch::Contains("2026-11-30T00:00:00Z"));
  // The other key of the tenant still has the tenant's budget.
  auto other = book.admit(f.tenant(), key_b, demand(10, 100));
  REQUIRE_FALSE(other.error);
  v.hold->settle(0.03, 30);
  other.hold->settle(0.04, 40);
  CHECK(book.key_account(key_a)->budget(f.wall->now())->spent == Approx(0.03));
  CHECK(book.tenant_account("team")->budget(f.wall->now())->spent == Approx(0.07));
  CHECK_FALSE(book.key_account(key_b)->budget(f.wall->now()));
}

TEST_CASE("budget: an unsettled hold releases its reservation when it goes away") {
  fixture f;
  f.tenant().limits.budget = usd(1.0);
  auto book = f.book();
  {
    auto v = book.admit(f.tenant(), key_a, demand(100, 900));
    REQUIRE_FALSE(v.error);
    CHECK(book.tenant_account("team")->budget(f.wall->now())->remaining == Approx(0.0));
  }
  auto s = *book.tenant_account("team")->budget(f.wall->now());
  CHECK(s.reserved == 0);
  CHECK(s.reservations == 0);
  CHECK(s.spent == 0);
}

TEST_CASE("budget: spend starts again at the UTC period boundary") {
  fixture f;
  f.tenant().limits.budget = usd(0.1);
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(10, 90));
  REQUIRE_FALSE(v.error);
  v.hold->settle(0.1, 100);
  REQUIRE(book.admit(f.tenant(), key_a, demand(10, 90)).error);
  f.wall->set(at("2026-11-25T23:59:59Z"));
  REQUIRE(book.admit(f.tenant(), key_a, demand(10, 90)).error);
  f.wall->set(at("2026-11-26T00:00:00Z"));
  auto s = *book.tenant_account("team")->budget(f.wall->now());
  CHECK(s.spent == 0);
  CHECK(config::format_rfc3339_utc(s.reset_at) == "2026-11-27T00:00:00Z");
  auto next = book.admit(f.tenant(), key_a, demand(10, 90));
  REQUIRE_FALSE(next.error);
}

TEST_CASE("budget: the periodic sweep starts an idle account's new period at the boundary") {
  fixture f;
  f.tenant().limits.budget = usd(0.5);
  f.key().limits.budget = usd(0.2, config::budget_period::monthly);
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(10, 90));
  REQUIRE_FALSE(v.error);
  v.hold->settle(0.1, 100);
  auto& tenant = *book.tenant_account("team");
  auto& key = *book.key_account(key_a);
  f.wall->set(at("2026-11-25T23:59:59Z"));
  CHECK(book.roll_periods() == 0);
  f.wall->set(at("2026-11-26T00:00:00Z"));
  CHECK(book.roll_periods() == 1);  // the tenant's daily budget; the key's is monthly
  CHECK(book.roll_periods() == 0);  // once per period
  // The account itself has moved on: read at any later time of the new day, no request between.
  f.wall->set(at("2026-11-26T18:00:00Z"));
  auto s = *tenant.budget(f.wall->now());
  CHECK(s.spent == 0);
  CHECK(config::format_rfc3339_utc(s.period_start) == "2026-11-26T00:00:00Z");
  CHECK(key.budget(f.wall->now())->spent == Approx(0.1));
  f.wall->set(at("2026-12-01T00:00:00Z"));
  CHECK(book.roll_periods() == 2);
  CHECK(key.budget(f.wall->now())->spent == 0);
}

TEST_CASE("budget book: lists every tenant of its current index, by name") {
  fixture f;
  config::tenant_config other;
  other.name = "alpha";
  f.snap.tenants.push_back(other);
  auto book = f.book();
  auto list = book.tenants();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "alpha");
  CHECK(list[1].name == "team");
  CHECK(list[1].account == book.tenant_account("team"));
  CHECK(list[1].stats == book.tenant_stats("team"));
  // A tenant added later (the admin API publishes a new configuration) is listed; one removed is
  // not.
  config::tenant_config added;
  added.name = "made-at-run-time";
  f.snap.tenants.erase(f.snap.tenants.begin() + 1);
  f.snap.tenants.push_back(added);
  book.reconfigure(f.snap, nullptr);
  list = book.tenants();
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "made-at-run-time");
  CHECK(list[1].name == "team");
}

TEST_CASE("budget: a total budget never resets, and seeded spend counts") {
  fixture f;
  f.tenant().limits.budget = usd(1.0, config::budget_period::total);
  auto book = f.book();
  book.tenant_account("team")->seed_spend(0.95);
  auto seeds = book.seed_requests();
  REQUIRE(seeds.size() == 1);
  CHECK(seeds[0].tenant == "team");
  CHECK(seeds[0].key_id.empty());
  CHECK(seeds[0].since == config::wall_time{});
  auto v = book.admit(f.tenant(), key_a, demand(10, 100));
  REQUIRE_FALSE(v.error);
  CHECK(*v.max_tokens == 40);
  v.hold->settle(0.05, 50);
  f.wall->set(at("2030-01-01T00:00:00Z"));
  REQUIRE(book.admit(f.tenant(), key_a, demand(1, 16)).error);
}

TEST_CASE("budget: the soft threshold marks a budget near its cap") {
  fixture f;
  auto b = usd(1.0);
  b.soft_threshold = 0.5;
  f.tenant().limits.budget = b;
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(0, 500));
  CHECK_FALSE(book.tenant_account("team")->budget(f.wall->now())->near_cap);
  v.hold->settle(0.5, 500);
  CHECK(book.tenant_account("team")->budget(f.wall->now())->near_cap);
}

TEST_CASE("rate limits: rpm admits the limit per minute; a refusal waits for the oldest second") {
  fixture f;
  f.tenant().limits.rpm = 3;
  auto book = f.book();
  for (int i = 0; i < 3; ++i) {
    auto v = book.admit(f.tenant(), key_a, demand(1, 1));
    REQUIRE_FALSE(v.error);
    CHECK(v.headers[0] == std::pair<std::string, std::string>{"x-ratelimit-limit-requests", "3"});
    CHECK(v.headers[1].second == std::to_string(2 - i));
  }
  f.mono->advance(seconds(20));
  auto refused = book.admit(f.tenant(), key_a, demand(1, 1));
  REQUIRE(refused.error);
  CHECK(refused.error->code == protocols::gateway_error::rate_limited);
  CHECK(*refused.reason == limit_reason::rpm);
  CHECK(*refused.error->retry_after_s == 40);
  CHECK(refused.headers[2] ==
        std::pair<std::string, std::string>{"x-ratelimit-reset-requests", "40s"});
  CHECK(book.tenant_stats("team")->rejected[1].load() == 1);
  f.mono->advance(seconds(40));
  REQUIRE_FALSE(book.admit(f.tenant(), key_a, demand(1, 1)).error);
}

TEST_CASE("rate limits: a key's rpm and the tenant's both apply; the tighter one is reported") {
  fixture f;
  f.tenant().limits.rpm = 10;
  f.key().limits.rpm = 2;
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(1, 1));
  CHECK(v.headers[1] == std::pair<std::string, std::string>{"x-ratelimit-remaining-requests", "1"});
  REQUIRE_FALSE(book.admit(f.tenant(), key_a, demand(1, 1)).error);
  auto refused = book.admit(f.tenant(), key_a, demand(1, 1));
  REQUIRE(refused.error);
  CHECK_THAT(refused.error->message, Catch::Contains("key `ci`: 2 requests per minute"));
  auto other = book.admit(f.tenant(), key_b, demand(1, 1));
  REQUIRE_FALSE(other.error);
  CHECK(other.headers[1].second == "7");  // the tenant's 10, less the 3 admitted
}

TEST_CASE("rate limits: tpm counts prompt estimates at admission and real tokens at settlement") {
  fixture f;
  f.tenant().limits.tpm = 1000;
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(400, 100));
  REQUIRE_FALSE(v.error);
  v.hold->settle(0, 900);  // 400 estimated, 900 real
  auto refused = book.admit(f.tenant(), key_a, demand(200, 10));
  REQUIRE(refused.error);
  CHECK(*refused.reason == limit_reason::tpm);
  auto huge = book.admit(f.tenant(), key_a, demand(5000, 10));
  REQUIRE(huge.error);
  CHECK_THAT(huge.error->message, Catch::Contains("larger than the limit"));
  f.mono->advance(seconds(60));
  auto ok = book.admit(f.tenant(), key_a, demand(200, 10));
  REQUIRE_FALSE(ok.error);
  CHECK(ok.headers[1] ==
        std::pair<std::string, std::string>{"x-ratelimit-remaining-tokens", "800"});
}

TEST_CASE("rate limits: an overestimated prompt is given back to its own bucket only") {
  fixture f;
  f.tenant().limits.tpm = 1000;
  auto book = f.book();
  auto v = book.admit(f.tenant(), key_a, demand(300, 10));
  v.hold->settle(0, 100);
  CHECK(book.tenant_account("team")->tokens(f.mono->now())->remaining == 900);
  auto late = book.admit(f.tenant(), key_a, demand(300, 10));
  f.mono->advance(seconds(61));
  REQUIRE_FALSE(book.admit(f.tenant(), key_a, demand(50, 10)).error);
  late.hold->settle(0, 100);  // its bucket has left: the window keeps what it holds now
  CHECK(book.tenant_account("team")->tokens(f.mono->now())->remaining == 950);
}

TEST_CASE("rate limits: the window slides: what a burst took comes back a minute after it") {
  fixture f;
  f.tenant().limits.rpm = 4;
  auto book = f.book();
  f.mono->advance(std::chrono::milliseconds(59'500));
  for (int i = 0; i < 4; ++i) REQUIRE_FALSE(book.admit(f.tenant(), key_a, demand(1, 1)).error);
  // A fixed window starting at 0 would admit four more at 60 s; the sliding one waits for 119 s.
  f.mono->advance(std::chrono::milliseconds(600));
  auto refused = book.admit(f.tenant(), key_a, demand(1, 1));
  REQUIRE(refused.error);
  CHECK(*refused.error->retry_after_s == 59);  // 58.9 s, rounded up
  CHECK(refused.headers[2] ==
        std::pair<std::string, std::string>{"x-ratelimit-reset-requests", "58.9s"});
  f.mono->advance(std::chrono::milliseconds(58'899));
  REQUIRE(book.admit(f.tenant(), key_a, demand(1, 1)).error);
  f.mono->advance(std::chrono::milliseconds(1));
  for (int i = 0; i < 4; ++i) REQUIRE_FALSE(book.admit(f.tenant(), key_a, demand(1, 1)).error);
  REQUIRE(book.admit(f.tenant(), key_a, demand(1, 1)).error);
}

TEST_CASE("rate limits: Retry-After is the longest wait of every limit the request meets") {
  fixture f;
  f.key().limits.rpm = 1;
  f.tenant().limits.tpm = 100;
  auto book = f.book();
  REQUIRE_FALSE(book.admit(f.tenant(), key_b, demand(90, 1)).error);  // tenant tokens at 0 s
  f.mono->advance(seconds(30));
  REQUIRE_FALSE(book.admit(f.tenant(), key_a, demand(5, 1)).error);  // key request at 30 s
  f.mono->advance(seconds(5));
  // The key's rpm frees at 90 s, the tenant's tokens at 60 s: the answer names the later one.
  auto refused = book.admit(f.tenant(), key_a, demand(20, 1));
  REQUIRE(refused.error);
  CHECK(*refused.reason == limit_reason::rpm);
  CHECK(*refused.error->retry_after_s == 55);
  CHECK_THAT(refused.error->message, Catch::Contains("key `ci`: 1 requests per minute"));
  // Through another key only the tenant's tokens bind.
  auto other = book.admit(f.tenant(), key_b, demand(20, 1));
  REQUIRE(other.error);
  CHECK(*other.reason == limit_reason::tpm);
  CHECK(*other.error->retry_after_s == 25);
  CHECK(book.tenant_stats("team")->rejected[1].load() == 1);
  CHECK(book.tenant_stats("team")->rejected[2].load() == 1);
}

TEST_CASE("rate limits: a refused request takes nothing from any window or budget") {
  fixture f;
  f.tenant().limits.budget = usd(0.01);
  f.tenant().limits.rpm = 100;
  auto book = f.book();
  REQUIRE(book.admit(f.tenant(), key_a, demand(100, 100)).error);
  auto s = *book.tenant_account("team")->requests(f.mono->now());
  CHECK(s.remaining == 100);
  CHECK(book.tenant_account("team")->budget(f.wall->now())->reservations == 0);
}

TEST_CASE("budget: concurrent requests never spend more than the budget") {
  fixture f;
  f.tenant().limits.budget = usd(5.0);
  f.key().limits.budget = usd(3.0);
  auto book = f.book();
  std::atomic<int> admitted{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        // Each would like 0.05 and really spends 0.02 .. 0.05 of whatever it was granted.
        auto v = book.admit(f.tenant(), t % 2 == 0 ? key_a : key_b, demand(10, 40));
        if (v.error) {
          ++refused;
          continue;
        }
        ++admitted;
        const double granted = v.hold->reserved_usd();
        v.hold->settle(granted * (0.4 + 0.1 * (i % 7)), 50);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto tenant = *book.tenant_account("team")->budget(f.wall->now());
  const auto key = *book.key_account(key_a)->budget(f.wall->now());
  CHECK(tenant.spent <= 5.0 + 1e-9);
  CHECK(key.spent <= 3.0 + 1e-9);
  CHECK(tenant.spent > 4.9);  // the budget was used, not refused early
  CHECK(tenant.reserved == 0);
  CHECK(tenant.reservations == 0);
  CHECK(refused.load() > 0);
  CHECK(admitted.load() > 100);
}

TEST_CASE("prompt estimate: request bytes / 4 rounded up, never below the text estimate") {
  CHECK(prompt_estimate(0, 0) == 0);
  CHECK(prompt_estimate(1, 0) == 1);
  CHECK(prompt_estimate(8, 0) == 2);
  CHECK(prompt_estimate(9, 0) == 3);
  CHECK(prompt_estimate(8, 7) == 7);
}

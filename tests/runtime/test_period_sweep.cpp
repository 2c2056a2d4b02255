// The budget period timer: on a real I/O context and a manual wall clock, an account nobody
// touches starts its new period at the boundary; after stop() nothing more is swept.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "config/budget_period.hpp"
#include "runtime/period_sweep.hpp"

using namespace switchyard;
using namespace std::chrono_literals;

namespace {

template <class Pred>
bool eventually(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct io_runner {
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
      boost::asio::make_work_guard(io);
  std::thread thread{[this] { io.run(); }};
  ~io_runner() {
    work.reset();
    io.stop();
    thread.join();
  }
};

}  // namespace

TEST_CASE("period sweep: an idle tenant's spend drops at the UTC boundary", "[budget]") {
  auto wall = std::make_shared<actors::manual_wall_clock>(
      *config::parse_rfc3339_utc("2026-11-25T23:59:58Z"));
  auto mono = std::make_shared<actors::manual_clock>();
  config::snapshot snap;
  config::tenant_config t;
  t.name = "idle";
  config::budget_config b;
  b.usd = 1;
  b.period = config::budget_period::daily;
  t.limits.budget = b;
  snap.tenants.push_back(t);
  actors::budget_book book{snap, wall, mono};
  book.tenant_account("idle")->seed_spend(0.75);

  io_runner runner;
  auto sweep = runtime::period_sweep::start(runner.io, book, 5ms);
  std::this_thread::sleep_for(50ms);  // several sweeps inside the period: nothing to roll
  CHECK(sweep->rolled_total() == 0);
  wall->set(*config::parse_rfc3339_utc("2026-11-26T00:00:00Z"));
  REQUIRE(eventually([&] { return sweep->rolled_total() == 1; }));
  // Rolled by the sweep: a request's own roll finds nothing left to do.
  CHECK(book.roll_periods() == 0);
  CHECK(book.tenant_account("idle")->budget(wall->now())->spent == 0);

  sweep->stop();
  std::this_thread::sleep_for(20ms);  // let the stop reach the strand
  book.tenant_account("idle")->seed_spend(0.5);
  wall->set(*config::parse_rfc3339_utc("2026-11-27T00:00:00Z"));
  std::this_thread::sleep_for(50ms);
  CHECK(sweep->rolled_total() == 1);
  CHECK(book.roll_periods() == 1);  // left to the next request (or this explicit call)
}

// Provider admission: slots up to max_in_flight, a bounded FIFO queue with deadlines driven by the
// manual clock, immediate refusal when full, and slots that release themselves.
#include <catch2/catch.hpp>

#include "actors/fakes.hpp"
#include "actors/admission.hpp"
#include "actors/provider_actor.hpp"

using namespace switchyard;
using namespace switchyard::actors;

namespace {

struct provider_fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  std::shared_ptr<manual_clock> time = std::make_shared<manual_clock>();
  std::shared_ptr<provider_stats> stats = std::make_shared<provider_stats>();
  config::snapshot_ptr config;
  caf::actor provider;

  provider_fixture(std::uint32_t limit, std::uint32_t queue, bool enabled = true) {
    config = test::config_builder{}.provider("a", limit, queue, enabled).build();
    provider = sys.spawn(provider_actor, provider_args{config, &config->providers[0], stats, time});
  }
  ~provider_fixture() { caf::anon_send_exit(provider, caf::exit_reason::user_shutdown); }

  /// Sends `acquire` from a fresh blocking actor and returns its pending reply handle owner.
  struct pending {
    std::unique_ptr<caf::scoped_actor> self;
  };

  std::pair<admission, slot_ptr> acquire() {
    caf::scoped_actor self{sys};
    std::pair<admission, slot_ptr> out{admission::disabled, nullptr};
    self->request(provider, caf::infinite, acquire_atom::value)
        .receive([&](admission a, slot_ptr s) { out = {a, std::move(s)}; },
                 [&](caf::error&) { FAIL("acquire failed"); });
    return out;
  }
  /// A round trip that proves every earlier message was handled.
  void sync() {
    caf::scoped_actor self{sys};
    self->request(provider, caf::infinite, expire_atom::value).receive([] {}, [](caf::error&) {});
  }
};

}  // namespace

TEST_CASE("provider admits up to max_in_flight then refuses at once without a queue") {
  provider_fixture f{2, 0};
  auto [a1, s1] = f.acquire();
  auto [a2, s2] = f.acquire();
  auto [a3, s3] = f.acquire();
  CHECK(a1 == admission::admitted);
  CHECK(a2 == admission::admitted);
  CHECK(a3 == admission::overloaded);
  CHECK(s1 != nullptr);
  CHECK(s3 == nullptr);
  CHECK(f.stats->in_flight == 2);
  CHECK(f.stats->rejected_total == 1);
}

TEST_CASE("a released slot is given to the next acquirer") {
  provider_fixture f{1, 0};
  auto [a1, s1] = f.acquire();
  REQUIRE(a1 == admission::admitted);
  s1.reset();  // the slot's destructor tells the provider
  f.sync();
  CHECK(f.stats->in_flight == 0);
  auto [a2, s2] = f.acquire();
  CHECK(a2 == admission::admitted);
}

TEST_CASE("a queued acquirer is admitted when a slot frees, in FIFO order") {
  provider_fixture f{1, 2};
  auto [a1, s1] = f.acquire();
  REQUIRE(a1 == admission::admitted);
  caf::scoped_actor w1{f.sys}, w2{f.sys};
  auto h1 = w1->request(f.provider, caf::infinite, acquire_atom::value);
  auto h2 = w2->request(f.provider, caf::infinite, acquire_atom::value);
  f.sync();
  CHECK(f.stats->queued == 2);
  auto [a4, s4] = f.acquire();
  CHECK(a4 == admission::overloaded);  // in flight 1 + queue 2 full

  s1.reset();
  slot_ptr got1;
  h1.receive([&](admission a, slot_ptr s) {
    CHECK(a == admission::admitted);
    got1 = std::move(s);
  }, [](caf::error&) { FAIL("no reply"); });
  REQUIRE(got1 != nullptr);
  f.sync();
  CHECK(f.stats->queued == 1);
  got1.reset();
  h2.receive([&](admission a, slot_ptr) { CHECK(a == admission::admitted); },
             [](caf::error&) { FAIL("no reply"); });
}

TEST_CASE("a waiter whose deadline passed gets queue_timeout, by the clock port") {
  provider_fixture f{1, 1};
  auto [a1, s1] = f.acquire();
  REQUIRE(a1 == admission::admitted);
  caf::scoped_actor w{f.sys};
  auto h = w->request(f.provider, caf::infinite, acquire_atom::value);
  f.sync();
  f.time->advance(std::chrono::milliseconds(50));
  caf::anon_send(f.provider, expire_atom::value);
  f.sync();
  CHECK(f.stats->queued == 1);  // 50 ms < 100 ms queue timeout: still waiting
  f.time->advance(std::chrono::milliseconds(60));
  caf::anon_send(f.provider, expire_atom::value);
  h.receive([&](admission a, slot_ptr s) {
    CHECK(a == admission::queue_timeout);
    CHECK(s == nullptr);
  }, [](caf::error&) { FAIL("no reply"); });
  CHECK(f.stats->queue_timeouts_total == 1);
  CHECK(f.stats->in_flight == 1);
}

TEST_CASE("a disabled provider refuses every acquire") {
  provider_fixture f{4, 4, false};
  auto [a, s] = f.acquire();
  CHECK(a == admission::disabled);
  CHECK(f.stats->in_flight == 0);
}

TEST_CASE("a slot whose holder never receives it (dropped reply) is still released") {
  provider_fixture f{1, 0};
  {
    caf::scoped_actor gone{f.sys};
    gone->request(f.provider, caf::infinite, acquire_atom::value);
    // `gone` is destroyed without receiving: the reply and its slot die with its mailbox.
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  admission a = admission::overloaded;
  slot_ptr s;
  while (a != admission::admitted && std::chrono::steady_clock::now() < deadline) {
    std::tie(a, s) = f.acquire();  // each round trip lets the release land
  }
  CHECK(a == admission::admitted);
}

TEST_CASE("an uncontended slot is taken and given back without the actor") {
  provider_fixture f{2, 2};
  f.sync();  // the actor publishes its limit when it starts
  REQUIRE(try_admit_fast(*f.stats));
  CHECK(f.stats->in_flight == 1);
  CHECK(f.stats->admitted_total == 1);
  CHECK_FALSE(release_slot(*f.stats));  // nobody queued: no message needed
  CHECK(f.stats->in_flight == 0);
}

TEST_CASE("the fast path never jumps the queue and never exceeds the limit") {
  provider_fixture f{1, 4};
  auto [a1, s1] = f.acquire();
  REQUIRE(a1 == admission::admitted);
  CHECK_FALSE(try_admit_fast(*f.stats));  // full
  caf::scoped_actor w{f.sys};
  auto h = w->request(f.provider, caf::infinite, acquire_atom::value);
  f.sync();
  REQUIRE(f.stats->queued == 1);
  s1.reset();
  // The freed slot belongs to the waiter, not to a fast-path newcomer.
  h.receive([&](admission a, slot_ptr s) {
    CHECK(a == admission::admitted);
    CHECK_FALSE(try_admit_fast(*f.stats));
  }, [](caf::error&) { FAIL("no reply"); });
}

TEST_CASE("a release racing a waiter's enqueue is never lost") {
  // The waiter enqueues while another thread releases the only slot; whichever order the two
  // take, the waiter must be admitted (not left until its queue timeout, which the manual clock
  // never reaches).
  provider_fixture f{1, 1};
  for (int round = 0; round < 300; ++round) {
    auto [a, held] = f.acquire();
    REQUIRE(a == admission::admitted);
    caf::scoped_actor w{f.sys};
    auto h = w->request(f.provider, caf::infinite, acquire_atom::value);
    std::thread releaser([&held] { held.reset(); });
    bool admitted = false;
    h.receive([&](admission verdict, slot_ptr s) { admitted = verdict == admission::admitted; },
              [](caf::error&) {});
    releaser.join();
    REQUIRE(admitted);
  }
}

// Mock-provider scenarios over real loopback sockets: timed status phases, the scenario clock,
// a down phase that closes the listener and every connection and comes back on the same port,
// and --max-concurrency queueing. Waits are bounded polls of the server, never sleeps.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/error.hpp>

#include "test_support.hpp"

using namespace switchyard::mock;
using namespace switchyard::mock::test;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

namespace {

// Tries one connection; false when it is refused.
bool can_connect(const tcp::endpoint& ep) {
  try {
    client c(ep);
    return true;
  } catch (const std::runtime_error&) {
    return false;
  }
}

// Polls the gate (GET /_mock/clock) until it shows `in_use` and `waiting`.
bool await_gate(const tcp::endpoint& ep, unsigned in_use, unsigned waiting) {
  for (int i = 0; i < 20000; ++i) {
    client admin(ep);
    auto d = parse_json(admin.exchange(get("/_mock/clock")).body());
    if (d["concurrency"]["in_use"].GetUint() == in_use &&
        d["concurrency"]["waiting"].GetUint() == waiting) {
      return true;
    }
  }
  return false;
}

double clock_elapsed(const tcp::endpoint& ep) {
  client c(ep);
  auto d = parse_json(c.exchange(get("/_mock/clock")).body());
  return d["elapsed_s"].GetDouble();
}

}  // namespace

TEST_CASE("scenario: a status phase answers its status only inside its window") {
  auto o = test_options();
  o.phases = parse_phases(R"({"from_s":0,"to_s":0.3,"status":503})").value();
  running_server s(o);
  client c(s.endpoint());
  auto first = c.exchange(post("/v1/chat/completions", chat_body()));
  CHECK(first.result_int() == 503);
  // Poll until the window has passed; every answer is a 503 or, after it, a 200.
  unsigned status = 503;
  auto deadline = steady_clock::now() + seconds(10);
  while (status == 503 && steady_clock::now() < deadline) {
    status = c.exchange(post("/v1/chat/completions", chat_body())).result_int();
    REQUIRE((status == 503 || status == 200));
  }
  CHECK(status == 200);
  CHECK(clock_elapsed(s.endpoint()) >= 0.3);
  auto stats = fetch_stats(s.endpoint());
  CHECK(stats["faults"]["status"].GetUint64() >= 1);
}

TEST_CASE("scenario: POST /_mock/clock restarts the phase clock") {
  auto o = test_options();
  o.phases = parse_phases(R"({"from_s":3600,"to_s":3601,"status":500})").value();
  running_server s(o);
  client c(s.endpoint());
  auto before = parse_json(c.exchange(get("/_mock/clock")).body());
  CHECK(before["phases"].Size() == 1);
  CHECK(before["concurrency"]["limit"].GetUint() == 0);
  auto res = c.exchange(post("/_mock/clock", ""));
  REQUIRE(res.result_int() == 200);
  auto after = parse_json(res.body());
  CHECK(after["elapsed_s"].GetDouble() < 1.0);
  CHECK(after["active"].Size() == 0);
  CHECK(c.exchange(get("/_mock/clock", http::verb::delete_)).result_int() == 405);
}

TEST_CASE("scenario: a down phase closes everything, refuses, then listens on the same port") {
  auto o = test_options();
  o.phases = parse_phases(R"({"from_s":0.2,"to_s":1.2,"down":true})").value();
  running_server s(o);
  const auto ep = s.endpoint();

  // A request in flight when the phase starts: it never gets an answer.
  client held(ep);
  auto req = post("/v1/chat/completions", chat_body());
  req.set("x-mock-fault", R"({"kind":"hang"})");
  held.send(req);
  auto cut = held.read_until_closed();
  CHECK(cut.bytes.empty());
  CHECK((cut.ec == net::error::eof || cut.ec == net::error::connection_reset));

  // The listener closed before the connections did, so a new connection is refused now.
  CHECK_FALSE(can_connect(ep));

  // Then it comes back on the same port.
  bool up = false;
  auto deadline = steady_clock::now() + seconds(15);
  while (!up && steady_clock::now() < deadline) {
    up = can_connect(ep);
    if (!up) std::this_thread::yield();
  }
  REQUIRE(up);
  client back(ep);
  auto res = back.exchange(post("/v1/chat/completions", chat_body()));
  CHECK(res.result_int() == 200);
  CHECK(clock_elapsed(ep) >= 1.2);
}

TEST_CASE("scenario: --max-concurrency makes requests beyond the limit wait their turn") {
  auto o = test_options();
  o.max_concurrency = 1;
  o.tokens_per_second = 50;  // a 16-token stream holds its slot for about 300 ms
  running_server s(o);
  const auto ep = s.endpoint();

  client a(ep);
  a.send(post("/v1/chat/completions", chat_body(true)));
  REQUIRE(await_gate(ep, 1, 0));  // A holds the one slot
  client b(ep);
  b.send(post("/v1/chat/completions", chat_body()));
  REQUIRE(await_gate(ep, 1, 1));  // B waits behind it, with no byte of an answer
  CHECK(b.available() == 0);

  beast::error_code ec;
  auto streamed = a.read(ec);
  REQUIRE_FALSE(ec);
  CHECK(streamed.body().find("data: [DONE]") != std::string::npos);
  auto whole = b.read();
  CHECK(whole.result_int() == 200);

  CHECK(await_gate(ep, 0, 0));
}

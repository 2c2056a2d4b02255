// Hidden measurements of the upstream client ("[.bench]", run by hand:
// `test_runtime "[.bench]"`): per-attempt latency on a kept-alive vs a fresh connection, full vs
// resumed TLS handshakes, and the mock's unpaced stream rate. They assert only that work finished.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "runtime/fake_channel.hpp"
#include "runtime/test_certs.hpp"
#include "runtime/test_upstream_server.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

namespace {

struct timing {
  double mean_us = 0;
  double p50_us = 0;
  double p99_us = 0;
};

// Runs `n` sequential non-stream attempts and returns their start-to-finished latencies.
timing measure(io_runner& io, event_fixture& fx, upstream_client& client,
               const std::shared_ptr<const config::snapshot>& snap, int n) {
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto channel = std::make_shared<fake_channel>(io.io);
    const auto t0 = std::chrono::steady_clock::now();
    client.start(fx.spec(snap, 0, chat_body, false, false, static_cast<std::uint32_t>(i + 1)),
                 channel);
    for (;;) {
      auto e = fx.next();
      REQUIRE(e);
      if (e->kind == attempt_event::committed) continue;
      REQUIRE(e->kind == attempt_event::finished);
      break;
    }
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  timing t;
  for (double v : us) t.mean_us += v / static_cast<double>(us.size());
  t.p50_us = us[us.size() / 2];
  t.p99_us = us[us.size() * 99 / 100];
  return t;
}

std::string report(const char* what, const timing& t) {
  return std::string(what) + ": mean " + std::to_string(static_cast<int>(t.mean_us)) + " us, p50 " +
         std::to_string(static_cast<int>(t.p50_us)) + " us, p99 " +
         std::to_string(static_cast<int>(t.p99_us)) + " us";
}

}  // namespace

TEST_CASE("bench: attempt latency, kept-alive vs fresh connections", "[.bench]") {
  io_runner io;
  event_fixture fx;
  const std::string body = completion_body("ok", 2, 1);
  test_upstream_server keep(io.io, [&](const server_request&) {
    return script{send(http_response(200, "application/json", body))};
  });
  test_upstream_server fresh(io.io, [&](const server_request&) {
    return script{send(http_response(200, "application/json", body, "Connection: close\r\n")),
                  hang_up()};
  });
  auto keep_snap = make_snapshot({http_provider("keep", keep.port())});
  auto fresh_snap = make_snapshot({http_provider("fresh", fresh.port())});
  upstream_client keep_client(io.io, *keep_snap, std::make_shared<tls_context>());
  upstream_client fresh_client(io.io, *fresh_snap, std::make_shared<tls_context>());

  measure(io, fx, keep_client, keep_snap, 50);  // warm-up
  const auto k = measure(io, fx, keep_client, keep_snap, 2000);
  const auto f = measure(io, fx, fresh_client, fresh_snap, 500);
  WARN(report("plain HTTP, kept-alive", k));
  WARN(report("plain HTTP, new connection each", f));
  CHECK(keep.accepted() == 1);
}

TEST_CASE("bench: TLS full vs resumed handshakes", "[.bench]") {
  const auto cert = make_self_signed("IP:127.0.0.1");
  auto server_tls = server_context(cert);
  io_runner io;
  event_fixture fx;
  const std::string body = completion_body("ok", 2, 1);
  test_upstream_server keep(
      io.io,
      [&](const server_request&) {
        return script{send(http_response(200, "application/json", body))};
      },
      server_tls.get());
  test_upstream_server fresh(
      io.io,
      [&](const server_request&) {
        return script{send(http_response(200, "application/json", body, "Connection: close\r\n")),
                      hang_up()};
      },
      server_tls.get());
  auto keep_snap = make_snapshot({http_provider("keep", keep.port(), true)});
  auto fresh_snap = make_snapshot({http_provider("fresh", fresh.port(), true)});
  upstream_client keep_client(io.io, *keep_snap, trusting(cert));
  upstream_client fresh_client(io.io, *fresh_snap, trusting(cert));

  const auto first = measure(io, fx, fresh_client, fresh_snap, 1);  // full handshake
  const auto resumed = measure(io, fx, fresh_client, fresh_snap, 300);
  measure(io, fx, keep_client, keep_snap, 20);
  const auto k = measure(io, fx, keep_client, keep_snap, 1000);
  WARN(report("TLS, first (full handshake)", first));
  WARN(report("TLS, new connection, resumed session", resumed));
  WARN(report("TLS, kept-alive", k));
  CHECK(fresh_client.stats("fresh").tls_resumed == 300);
}

TEST_CASE("bench: mock stream rate, unpaced", "[.bench]") {
  io_runner io;
  event_fixture fx;
  auto p = mock_provider("demo");
  p.mock.reply_tokens = 200'000;
  auto snap = make_snapshot({p});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);
  const auto t0 = std::chrono::steady_clock::now();
  client.start(fx.spec(snap, 0, chat_stream_body, true), channel);
  auto events = fx.until_final(30s);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(final_of(events).kind == attempt_event::finished);
  const auto bytes = channel->snapshot().stream.size();
  WARN("mock: 200000 tokens in " + std::to_string(s * 1000) + " ms (" +
       std::to_string(static_cast<int>(200'000 / s)) + " tokens/s, " +
       std::to_string(static_cast<int>(static_cast<double>(bytes) / s / 1e6)) + " MB/s)");
}

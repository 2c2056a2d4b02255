// HTTPS upstreams against a self-signed certificate made at test time: verified handshakes,
// keep-alive, session resumption, and every way verification must refuse a server.
#include <catch2/catch.hpp>

#include <memory>
#include <string>

#include "protocols/provider_tag.hpp"
#include "runtime/fake_channel.hpp"
#include "runtime/test_certs.hpp"
#include "runtime/test_upstream_server.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

namespace {

std::string ok_response(const std::string& extra = {}) {
  return http_response(200, "application/json", completion_body("secure", 4, 2), extra);
}

}  // namespace

TEST_CASE("https: a verified upstream answers over a reused TLS connection", "[upstream][tls]") {
  const auto cert = make_self_signed("DNS:localhost,IP:127.0.0.1");
  auto server_tls = server_context(cert);
  io_runner io;
  event_fixture fx;
  test_upstream_server server(
      io.io, [](const server_request&) { return script{send(ok_response())}; }, server_tls.get());
  auto snap = make_snapshot({http_provider("secure", server.port(), true)});
  upstream_client client(io.io, *snap, trusting(cert));

  for (std::uint32_t id = 1; id <= 2; ++id) {
    auto channel = std::make_shared<fake_channel>(io.io);
    client.start(fx.spec(snap, 0, chat_body, false, false, id), channel);
    auto events = fx.until_final();
    CHECK(final_of(events).kind == attempt_event::finished);
    CHECK(final_of(events).usage.prompt_tokens == 4);
    CHECK(channel->snapshot().body ==
          switchyard::protocols::add_provider_member(completion_body("secure", 4, 2), "secure"));
  }
  CHECK(server.accepted() == 1);
  CHECK(client.stats("secure").connections_opened == 1);
  REQUIRE(server.requests().size() == 2);
  CHECK(server.requests()[0].headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("https: a host name is verified against the certificate (with SNI)", "[upstream][tls]") {
  const auto cert = make_self_signed("DNS:localhost");
  auto server_tls = server_context(cert);
  io_runner io;
  event_fixture fx;
  test_upstream_server server(
      io.io, [](const server_request&) { return script{send(ok_response())}; }, server_tls.get());
  auto snap = make_snapshot({http_provider("secure", server.port(), true, "localhost")});
  upstream_client client(io.io, *snap, trusting(cert));
  auto channel = std::make_shared<fake_channel>(io.io);

  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  CHECK(final_of(events).kind == attempt_event::finished);
}

TEST_CASE("https: new connections resume the provider's cached TLS session", "[upstream][tls]") {
  const auto cert = make_self_signed("IP:127.0.0.1");
  auto server_tls = server_context(cert);
  io_runner io;
  event_fixture fx;
  // Every answer closes its connection, so each attempt needs a new handshake.
  test_upstream_server server(
      io.io,
      [](const server_request&) {
        return script{send(ok_response("Connection: close\r\n")), hang_up()};
      },
      server_tls.get());
  auto snap = make_snapshot({http_provider("secure", server.port(), true)});
  upstream_client client(io.io, *snap, trusting(cert));

  for (std::uint32_t id = 1; id <= 3; ++id) {
    auto channel = std::make_shared<fake_channel>(io.io);
    client.start(fx.spec(snap, 0, chat_body, false, false, id), channel);
    CHECK(final_of(fx.until_final()).kind == attempt_event::finished);
  }
  CHECK(server.accepted() == 3);
  const auto stats = client.stats("secure");
  CHECK(stats.connections_opened == 3);
  CHECK(stats.tls_resumed == 2);
}

TEST_CASE("https: a streamed answer is relayed over TLS", "[upstream][tls]") {
  const auto cert = make_self_signed("IP:127.0.0.1");
  auto server_tls = server_context(cert);
  io_runner io;
  event_fixture fx;
  test_upstream_server server(
      io.io,
      [](const server_request&) {
        return script{send(stream_head() + chunk(sse(content_chunk("tls")))),
                      send(chunk("data: [DONE]\n\n") + last_chunk())};
      },
      server_tls.get());
  auto snap = make_snapshot({http_provider("secure", server.port(), true)});
  upstream_client client(io.io, *snap, trusting(cert));
  auto channel = std::make_shared<fake_channel>(io.io);

  client.start(fx.spec(snap, 0, chat_stream_body, true), channel);
  auto events = fx.until_final();
  CHECK(final_of(events).kind == attempt_event::finished);
  CHECK(channel->snapshot().stream ==
        switchyard::protocols::add_provider_to_events(
            sse(content_chunk("tls")) + "data: [DONE]\n\n", "secure"));
}

TEST_CASE("https: verification refuses what it must", "[upstream][tls]") {
  io_runner io;
  event_fixture fx;
  auto expect_connect_failure = [&](std::uint16_t port, std::shared_ptr<tls_context> tls,
                                    const std::string& why) {
    auto snap = make_snapshot({http_provider("secure", port, true)});
    upstream_client client(io.io, *snap, std::move(tls));
    auto channel = std::make_shared<fake_channel>(io.io);
    client.start(fx.spec(snap, 0, chat_body), channel);
    auto events = fx.until_final();
    REQUIRE(events.size() == 1);
    CHECK(events[0].failure == attempt_failure::connect);
    CHECK(events[0].detail.find(why) != std::string::npos);
    CHECK(channel->snapshot().winner == fake_channel::nobody);
  };

  SECTION("a certificate no trusted CA signed") {
    const auto cert = make_self_signed("IP:127.0.0.1");
    auto server_tls = server_context(cert);
    test_upstream_server server(
        io.io, [](const server_request&) { return script{send(ok_response())}; }, server_tls.get());
    expect_connect_failure(server.port(), std::make_shared<tls_context>(),
                           "certificate verify failed");
    CHECK(server.requests().empty());
  }
  SECTION("a trusted certificate for another name") {
    const auto cert = make_self_signed("DNS:other.example");
    auto server_tls = server_context(cert);
    test_upstream_server server(
        io.io, [](const server_request&) { return script{send(ok_response())}; }, server_tls.get());
    expect_connect_failure(server.port(), trusting(cert), "certificate verify failed");
    CHECK(server.requests().empty());
  }
  SECTION("a plain-HTTP server spoken to as https") {
    test_upstream_server server(io.io,
                                [](const server_request&) { return script{send(ok_response())}; });
    expect_connect_failure(server.port(), std::make_shared<tls_context>(), "TLS handshake");
  }
}

TEST_CASE("https: the handshake counts toward the connect timeout", "[upstream][tls]") {
  io_runner io;
  event_fixture fx;
  // Accepts TCP, then never says a word: only the connect timeout can end the handshake.
  test_upstream_server server(
      io.io, [](const server_request&) { return script{}; }, nullptr, true);
  auto cfg = http_provider("secure", server.port(), true);
  cfg.timeouts.connect = 80ms;
  auto snap = make_snapshot({cfg});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);

  const auto t0 = std::chrono::steady_clock::now();
  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::connect_timeout);
  CHECK(std::chrono::steady_clock::now() - t0 >= 80ms);
  CHECK(server.accepted() == 1);
}

TEST_CASE("https: a bad extra CA is reported, not thrown", "[upstream][tls]") {
  tls_context tls;
  std::string error;
  CHECK_FALSE(tls.add_certificate_authority(
      "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", error));
  CHECK(error.find("CA certificate") != std::string::npos);
  CHECK(tls.warning().empty());  // the system trust store loaded
}

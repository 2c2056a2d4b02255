// The pooled HTTP upstream client, non-stream exchanges: relay, pass-through, retryable statuses,
// connect failures, timeouts, the commit race, and what goes on the wire.
#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>

#include "protocols/provider_tag.hpp"
#include "runtime/fake_channel.hpp"
#include "runtime/test_upstream_server.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_factory.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

TEST_CASE("upstream: a non-stream 200 is relayed with its usage", "[upstream]") {
  io_runner io;
  event_fixture fx;
  const std::string answer = completion_body("Hi!", 11, 7);
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{send(http_response(200, "application/json", answer))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();

  REQUIRE(events.size() == 1);  // a whole answer reports its commit with its end
  const auto& fin = events[0];
  CHECK(fin.kind == attempt_event::finished);
  CHECK(fin.was_committed);
  CHECK(fin.attempt_id == 1);
  CHECK(fin.was_committed);
  CHECK(fin.usage.reported);
  CHECK(fin.usage.prompt_tokens == 11);
  CHECK(fin.usage.completion_tokens == 7);
  CHECK(fin.time_to_first_byte.count() > 0);

  const auto rec = channel->snapshot();
  CHECK(rec.winner == 1);
  CHECK(rec.status == 200);
  CHECK(rec.content_type == "application/json");
  CHECK(rec.body == switchyard::protocols::add_provider_member(
                        answer, "local"));  // OpenRouter's `provider` member
  CHECK(header_value(rec.headers, "x-request-id") == "req-1");
  CHECK(header_value(rec.headers, "x-switchyard-provider") == "local");
  CHECK(rec.off_strand_calls == 0);
  CHECK_FALSE(rec.stream_begun);

  // What went on the wire.
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 1);
  const auto& r = reqs[0];
  CHECK(r.method == "POST");
  CHECK(r.target == "/v1/chat/completions");
  CHECK(r.body == chat_body);
  CHECK(r.headers.at("host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(r.headers.at("content-type") == "application/json");
  CHECK(r.headers.at("authorization") == "Bearer sk-upstream-secret");
  CHECK(r.headers.at("accept") == "application/json");
  CHECK(r.headers.at("user-agent") == std::string("switchyard/") + SWITCHYARD_VERSION);
  CHECK(r.headers.at("x-team") == "gateway-tests");
  CHECK(r.headers.at("connection") == "keep-alive");
}

TEST_CASE("upstream: embeddings go to {base_path}/embeddings", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{send(http_response(
        200, "application/json",
        R"({"object":"list","data":[],"model":"e","usage":{"prompt_tokens":3,"total_tokens":3}})"))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);
  auto spec = fx.spec(snap, 0, R"({"model":"e","input":"abc"})");
  spec.kind = protocols::api_kind::embeddings;
  spec.path = "/embeddings";

  transport->start(std::move(spec), channel);
  auto events = fx.until_final();
  CHECK(final_of(events).kind == attempt_event::finished);
  CHECK(final_of(events).usage.prompt_tokens == 3);
  REQUIRE(server.requests().size() == 1);
  CHECK(server.requests()[0].target == "/v1/embeddings");
}

TEST_CASE("upstream: a client error status is passed through unchanged", "[upstream]") {
  io_runner io;
  event_fixture fx;
  const std::string err =
      R"({"error":{"message":"max_tokens is too large","type":"invalid_request_error","param":"max_tokens","code":null}})";
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{send(http_response(400, "application/json; charset=utf-8", err))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();

  REQUIRE(events.size() == 1);
  CHECK(events[0].kind == attempt_event::finished);
  CHECK(events[0].was_committed);
  const auto rec = channel->snapshot();
  CHECK(rec.status == 400);
  CHECK(rec.body == err);
  CHECK(rec.content_type == "application/json; charset=utf-8");
}

TEST_CASE("upstream: a retryable status fails without touching the client", "[upstream]") {
  io_runner io;
  event_fixture fx;
  // The body echoes the key, as some upstreams do: it must go nowhere.
  const std::string body = R"j({"error":{"message":"overloaded (key sk-upstream-secret)"}})j";
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{send(http_response(503, "application/json", body, "Retry-After: 7\r\n"))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);

  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();

  REQUIRE(events.size() == 1);
  const auto& e = events[0];
  CHECK(e.kind == attempt_event::failed);
  CHECK(e.failure == attempt_failure::upstream_status);
  CHECK(e.upstream_status == 503);
  CHECK(e.retry_after_s == 7);
  CHECK_FALSE(e.was_committed);
  CHECK(e.detail.find("sk-upstream-secret") == std::string::npos);
  const auto rec = channel->snapshot();
  CHECK(rec.winner == fake_channel::nobody);
  CHECK(rec.status == 0);
  CHECK(rec.body.empty());
  CHECK_FALSE(rec.stream_begun);
  // The small error body was read, so the connection went back to the pool.
  CHECK(client.stats("local").idle == 1);
}

TEST_CASE("upstream: a retryable status with a large body closes the connection", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{send(http_response(429, "text/plain", std::string(100 * 1024, 'x')))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);

  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::upstream_status);
  CHECK(events[0].upstream_status == 429);
  CHECK(events[0].retry_after_s == 0);
  CHECK(client.stats("local").idle == 0);
  CHECK(server.wait_for([](const auto& s) { return s.client_closes() == 1; }));
}

TEST_CASE("upstream: connection refused is a connect failure", "[upstream]") {
  io_runner io;
  event_fixture fx;
  // Bound but not listening: connecting is refused, and no other test can take the port.
  boost::asio::ip::tcp::socket holder(io.io);
  holder.open(boost::asio::ip::tcp::v4());
  holder.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
  auto snap = make_snapshot({http_provider("local", holder.local_endpoint().port())});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::connect);
  CHECK(events[0].detail.find("refused") != std::string::npos);
  CHECK(channel->snapshot().winner == fake_channel::nobody);
}

TEST_CASE("upstream: an upstream that never answers hits the first-byte timeout", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [&](const server_request&) { return script{}; });
  auto cfg = http_provider("local", server.port());
  cfg.timeouts.first_byte = 50ms;
  auto snap = make_snapshot({cfg});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  const auto t0 = std::chrono::steady_clock::now();
  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  const auto elapsed = std::chrono::steady_clock::now() - t0;

  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::first_byte_timeout);
  CHECK_FALSE(events[0].was_committed);
  CHECK(elapsed >= 50ms);
  // The timed-out connection is closed, never pooled.
  CHECK(server.wait_for([](const auto& s) { return s.client_closes() == 1; }));
}

TEST_CASE("upstream: the total timeout bounds a whole non-stream attempt", "[upstream]") {
  io_runner io;
  event_fixture fx;
  // Headers arrive, the body never does: only the total timeout can end this (idle is off).
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{
        send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")};
  });
  auto cfg = http_provider("local", server.port());
  cfg.timeouts.idle = 0ms;
  cfg.timeouts.total = 80ms;
  auto snap = make_snapshot({cfg});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::total_timeout);
  CHECK(channel->snapshot().winner == fake_channel::nobody);
}

TEST_CASE("upstream: losing the commit race reports lost_race and writes nothing", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{send(http_response(200, "application/json", completion_body("late", 1, 1)))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);
  channel->commit_to_other(2);  // a hedged sibling won

  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::lost_race);
  CHECK_FALSE(events[0].was_committed);
  const auto rec = channel->snapshot();
  CHECK(rec.winner == 2);
  CHECK(rec.status == 0);
  // The response was complete: its connection is still good.
  CHECK(client.stats("local").idle == 1);
}

TEST_CASE("upstream: a bad configured header fails before connecting", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [&](const server_request&) { return script{}; });
  auto cfg = http_provider("local", server.port());
  cfg.headers["X-Evil"] = "a\r\nInjected: yes";
  auto snap = make_snapshot({cfg});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::protocol);
  CHECK(events[0].detail.find("X-Evil") != std::string::npos);
  CHECK(server.accepted() == 0);
}

namespace {

// A response sink that is not a runtime client_channel.
class foreign_sink final : public actors::response_sink {
 public:
  bool try_commit(std::uint32_t) override { return true; }
  void send_error(const protocols::error_info&) override {}
  void set_listener(const caf::actor&) override {}
};

}  // namespace

TEST_CASE("upstream: a sink that is not a client_channel fails the attempt", "[upstream]") {
  io_runner io;
  event_fixture fx;
  auto snap = make_snapshot({http_provider("local", 9)});
  auto transport = make_upstream_transport(io.io, *snap);

  auto handle = transport->start(fx.spec(snap, 0, chat_body), std::make_shared<foreign_sink>());
  REQUIRE(handle != nullptr);
  handle->cancel();  // harmless
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::protocol);
}

TEST_CASE("upstream: a malformed response is a protocol failure", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(
      io.io, [&](const server_request&) { return script{send("NOT HTTP AT ALL\r\n\r\n")}; });
  auto snap = make_snapshot({http_provider("local", server.port())});
  auto transport = make_upstream_transport(io.io, *snap);
  auto channel = std::make_shared<fake_channel>(io.io);

  transport->start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::protocol);
  CHECK(channel->snapshot().winner == fake_channel::nobody);
}

TEST_CASE("upstream: a connection closed before any response is a reset", "[upstream]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [&](const server_request&) { return script{hang_up()}; });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);

  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  REQUIRE(events.size() == 1);
  CHECK(events[0].failure == attempt_failure::reset);
  // A fresh connection never gets the keep-alive retry.
  CHECK(server.accepted() == 1);
  CHECK(client.stats("local").retried == 0);
}

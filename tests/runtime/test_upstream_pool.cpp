// The per-provider keep-alive pool: reuse, the idle bound, Connection: close, and the keep-alive
// race (a pooled connection the server closed) handled by one transparent retry.
#include <catch2/catch.hpp>

#include <vector>

#include "protocols/provider_tag.hpp"
#include "runtime/fake_channel.hpp"
#include "runtime/test_upstream_server.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

namespace {

std::string ok_response(const std::string& extra = {}) {
  return http_response(200, "application/json", completion_body("ok", 2, 1), extra);
}

// Runs one non-stream attempt to its final event and returns that event.
attempt_event run_one(event_fixture& fx, io_runner& io, upstream_client& client,
                      const std::shared_ptr<const config::snapshot>& snap, std::uint32_t id = 1) {
  auto channel = std::make_shared<fake_channel>(io.io);
  client.start(fx.spec(snap, 0, chat_body, false, false, id), channel);
  auto events = fx.until_final();
  REQUIRE_FALSE(events.empty());
  if (events.back().kind == attempt_event::finished) {
    CHECK(channel->snapshot().status == 200);
  }
  return events.back();
}

}  // namespace

TEST_CASE("upstream pool: sequential attempts reuse one keep-alive connection",
          "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io,
                              [](const server_request&) { return script{send(ok_response())}; });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  CHECK(run_one(fx, io, client, snap, 1).kind == attempt_event::finished);
  CHECK(run_one(fx, io, client, snap, 2).kind == attempt_event::finished);
  CHECK(run_one(fx, io, client, snap, 3).kind == attempt_event::finished);

  CHECK(server.accepted() == 1);
  const auto reqs = server.requests();
  REQUIRE(reqs.size() == 3);
  CHECK(reqs[2].connection == 1);
  CHECK(reqs[2].index == 3);
  const auto stats = client.stats("local");
  CHECK(stats.connections_opened == 1);
  CHECK(stats.reused == 2);
  CHECK(stats.idle == 1);
}

TEST_CASE("upstream pool: Connection: close from the server is respected", "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  // The server says close but keeps the socket open: only the header tells the client.
  test_upstream_server server(io.io, [](const server_request&) {
    return script{send(ok_response("Connection: close\r\n"))};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  CHECK(run_one(fx, io, client, snap, 1).kind == attempt_event::finished);
  CHECK(run_one(fx, io, client, snap, 2).kind == attempt_event::finished);
  CHECK(server.accepted() == 2);
  CHECK(server.wait_for([](const auto& s) { return s.client_closes() == 2; }));
  CHECK(client.stats("local").idle == 0);
}

TEST_CASE("upstream pool: an HTTP/1.0 response is not kept alive", "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io, [](const server_request&) {
    const std::string body = completion_body("old", 1, 1);
    return script{send("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body)};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  CHECK(run_one(fx, io, client, snap, 1).kind == attempt_event::finished);
  CHECK(run_one(fx, io, client, snap, 2).kind == attempt_event::finished);
  CHECK(server.accepted() == 2);
}

TEST_CASE("upstream pool: a body delimited by the connection's end is complete at EOF",
          "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  const std::string body = completion_body("eof", 3, 2);
  test_upstream_server server(io.io, [&](const server_request&) {
    return script{
        send("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" +
             body),
        hang_up()};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());
  auto channel = std::make_shared<fake_channel>(io.io);

  client.start(fx.spec(snap, 0, chat_body), channel);
  auto events = fx.until_final();
  CHECK(final_of(events).kind == attempt_event::finished);
  CHECK(final_of(events).usage.completion_tokens == 2);
  CHECK(channel->snapshot().body == switchyard::protocols::add_provider_member(body, "local"));
}

TEST_CASE("upstream pool: a pooled connection the server closed while idle is not used",
          "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  // Answers, then closes while advertising keep-alive (an idle timeout on the server).
  test_upstream_server server(io.io, [](const server_request&) {
    return script{send(ok_response()), hang_up()};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  CHECK(run_one(fx, io, client, snap, 1).kind == attempt_event::finished);
  REQUIRE(server.wait_for([](const auto& s) { return s.scripts_done() == 1; }));
  CHECK(run_one(fx, io, client, snap, 2).kind == attempt_event::finished);
  CHECK(server.accepted() == 2);
  const auto stats = client.stats("local");
  // Found dead at checkout, or failed on reuse and retried: either way invisible to the caller.
  CHECK(stats.stale_discarded + stats.retried == 1);
}

TEST_CASE("upstream pool: a reused connection that fails before any byte is retried once",
          "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  // The keep-alive race: the server reads the second request on its old connection, then
  // closes it without a word (its idle timer fired as the request arrived).
  test_upstream_server server(io.io, [](const server_request& r) {
    if (r.connection == 1 && r.index == 2) return script{hang_up()};
    return script{send(ok_response())};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  CHECK(run_one(fx, io, client, snap, 1).kind == attempt_event::finished);
  CHECK(run_one(fx, io, client, snap, 2).kind == attempt_event::finished);
  CHECK(server.accepted() == 2);
  CHECK(server.requests().size() == 3);
  const auto stats = client.stats("local");
  CHECK(stats.retried == 1);
  CHECK(stats.connections_opened == 2);
}

TEST_CASE("upstream pool: the retry is spent once; a second failure is reported",
          "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  // The first request is answered; every later one is dropped without an answer.
  test_upstream_server server(io.io, [](const server_request& r) {
    if (r.connection == 1 && r.index == 1) return script{send(ok_response())};
    return script{hang_up()};
  });
  auto snap = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  CHECK(run_one(fx, io, client, snap, 1).kind == attempt_event::finished);
  const auto e = run_one(fx, io, client, snap, 2);
  CHECK(e.kind == attempt_event::failed);
  CHECK(e.failure == attempt_failure::reset);
  CHECK(server.accepted() == 2);
  CHECK(client.stats("local").retried == 1);
}

TEST_CASE("upstream pool: at most max_idle_connections stay idle", "[upstream][pool]") {
  io_runner io;
  event_fixture fx;
  // Holds every answer until three requests are in, so three connections are open at once.
  test_upstream_server server(io.io, [](const server_request&) {
    return script{wait_gate(), send(ok_response())};
  });
  auto cfg = http_provider("local", server.port());
  cfg.max_idle_connections = 1;
  auto snap = make_snapshot({cfg});
  upstream_client client(io.io, *snap, std::make_shared<tls_context>());

  std::vector<std::shared_ptr<fake_channel>> channels;
  for (std::uint32_t i = 1; i <= 3; ++i) {
    channels.push_back(std::make_shared<fake_channel>(io.io));
    client.start(fx.spec(snap, 0, chat_body, false, false, i), channels.back());
  }
  REQUIRE(server.wait_for([](const auto& s) { return s.requests().size() == 3; }));
  server.open_gate();
  int finished = 0;
  for (int i = 0; i < 3; ++i) {  // whole answers: one finished event each, with its commit
    auto e = fx.next();
    REQUIRE(e);
    finished += e->kind == attempt_event::finished && e->was_committed ? 1 : 0;
  }
  CHECK(finished == 3);
  CHECK_FALSE(fx.next(100ms).has_value());
  CHECK(server.accepted() == 3);
  CHECK(client.stats("local").idle == 1);
  // The two connections the pool could not keep were closed.
  CHECK(server.wait_for([](const auto& s) { return s.client_closes() == 2; }));
}

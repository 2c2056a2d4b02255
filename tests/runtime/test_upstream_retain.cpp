// Connection pools across a hot reload (upstream_client::retain): a provider that leaves or moves
// has its pool retired (idle connections closed, nothing pooled again), an attempt of an older
// routing table still runs on a one-off connection, and a changed pool setting starts a new pool.
#include <catch2/catch.hpp>

#include "runtime/fake_channel.hpp"
#include "runtime/test_upstream_server.hpp"
#include "runtime/upstream_client.hpp"
#include "runtime/upstream_fixture.hpp"

using namespace switchyard;
using namespace switchyard::runtime;
using namespace switchyard::runtime::upstream_test;

namespace {

attempt_event run_one(event_fixture& fx, io_runner& io, upstream_client& client,
                      const std::shared_ptr<const config::snapshot>& snap, std::uint32_t id) {
  auto channel = std::make_shared<fake_channel>(io.io);
  client.start(fx.spec(snap, 0, chat_body, false, false, id), channel);
  auto events = fx.until_final();
  REQUIRE_FALSE(events.empty());
  return events.back();
}

std::string ok_response() {
  return http_response(200, "application/json", completion_body("ok", 2, 1));
}

}  // namespace

TEST_CASE("retain: a removed provider's pool closes; old attempts run unpooled",
          "[upstream][pool][reload]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io,
                              [](const server_request&) { return script{send(ok_response())}; });
  auto before = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *before, std::make_shared<tls_context>());
  CHECK(run_one(fx, io, client, before, 1).kind == attempt_event::finished);
  auto pool = client.pool_for(before->providers[0]);
  CHECK(pool->stats().idle == 1);

  client.retain(*make_snapshot({}));
  CHECK(pool->stats().idle == 0);                        // its idle connection is closed
  CHECK(client.stats("local").connections_opened == 0);  // no pool by that name any more

  // An attempt routed by the old table: served on its own connection, which is not kept.
  CHECK(run_one(fx, io, client, before, 2).kind == attempt_event::finished);
  CHECK(run_one(fx, io, client, before, 3).kind == attempt_event::finished);
  CHECK(server.accepted() == 3);
  CHECK(client.stats("local").idle == 0);
}

TEST_CASE("retain: a kept provider keeps its pool; a resized one gets a new pool",
          "[upstream][pool][reload]") {
  io_runner io;
  event_fixture fx;
  test_upstream_server server(io.io,
                              [](const server_request&) { return script{send(ok_response())}; });
  auto before = make_snapshot({http_provider("local", server.port())});
  upstream_client client(io.io, *before, std::make_shared<tls_context>());
  CHECK(run_one(fx, io, client, before, 1).kind == attempt_event::finished);

  auto same = http_provider("local", server.port());
  same.api_key = "sk-rotated";
  auto kept = make_snapshot({same});
  client.retain(*kept);
  CHECK(run_one(fx, io, client, kept, 2).kind == attempt_event::finished);
  CHECK(server.accepted() == 1);  // the pooled connection was reused
  CHECK(client.stats("local").reused == 1);

  auto resized = http_provider("local", server.port());
  resized.max_idle_connections = 2;
  auto next = make_snapshot({resized});
  // Between prepare and retain both pools serve: old routes on the old, new ones on the new.
  client.prepare(*next);
  auto old_pool = client.pool_for(kept->providers[0]);
  auto new_pool = client.pool_for(next->providers[0]);
  CHECK(old_pool != new_pool);
  CHECK(old_pool->stats().idle == 1);
  client.retain(*next);
  CHECK(old_pool->stats().idle == 0);
  CHECK(client.pool_for(next->providers[0]) == new_pool);
  CHECK(run_one(fx, io, client, next, 3).kind == attempt_event::finished);
  CHECK(server.accepted() == 2);
  const auto stats = client.stats("local");
  CHECK(stats.connections_opened == 1);  // the new pool's own
  CHECK(stats.idle == 1);
}

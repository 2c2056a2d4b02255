// The PostgreSQL stores against a private server (postgres_server.hpp): usage records round trip
// and idempotent inserts, schema migrations (idempotent, concurrent), the admin store's changes
// and their announcements, the listener, log-safe errors and recovery after a server restart.
#include <catch2/catch.hpp>

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "actors/ports/request_observer.hpp"
#include "harness.hpp"
#include "postgres_server.hpp"
#include "runtime/admin_api.hpp"
#include "runtime/pg_admin_store.hpp"
#include "runtime/pg_connection.hpp"
#include "runtime/pg_listener.hpp"
#include "runtime/pg_schema.hpp"
#include "runtime/pg_usage_store.hpp"

using namespace switchyard;
using namespace switchyard::itest;
using runtime::pg_usage_store;

namespace {

actors::request_record make_record(std::string record_id, std::string request_id,
                                   std::string key_id, double cost, std::int64_t finished_ms) {
  actors::request_record r;
  r.request_id = std::move(request_id);
  r.record_id = std::move(record_id);
  r.tenant = "acme";
  r.key_prefix = "sk-sy-AbC4";
  r.key_id = std::move(key_id);
  r.model = "chat";
  r.provider = "demo";
  r.upstream_model = "demo-1";
  r.client = protocols::dialect::anthropic;
  r.stream = true;
  r.status = 200;
  r.stream_broken = true;
  r.client_gone = false;
  r.attempts = 2;
  r.hedged = true;
  r.usage.prompt_tokens = 11;
  r.usage.completion_tokens = 22;
  r.usage.cached_tokens = 3;
  r.usage.cache_creation_tokens = 4;
  r.usage.reasoning_tokens = 5;
  r.usage.reported = true;
  r.cost_usd = cost;
  r.finished_at = std::chrono::system_clock::time_point{std::chrono::milliseconds{finished_ms}};
  r.duration = std::chrono::microseconds{1234567};
  r.time_to_first_byte = std::chrono::microseconds{2345};
  r.error = "upstream 'demo' closed the stream";
  return r;
}

std::shared_ptr<pg_usage_store> open_usage(const postgres_server& pg) {
  std::string error;
  auto store = pg_usage_store::open(pg.url(), error);
  INFO(error);
  REQUIRE(store != nullptr);
  return store;
}

std::string hex_id(int n) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%032x", n);
  return buf;
}

}  // namespace

TEST_CASE("pg usage store: round trip, key isolation, spend, a repeated record_id stored once",
          "[pg][usage]") {
  postgres_server pg;
  auto store = open_usage(pg);
  const std::int64_t t0 = 1'790'000'000'000;
  std::vector<actors::request_record> batch = {
      make_record(hex_id(1), "req-1", "key_a", 0.25, t0),
      make_record(hex_id(2), "req-2", "key_a", 0.5, t0 + 10),
      make_record(hex_id(3), "req-3", "key_b", 1.0 / 3.0, t0 + 20)};
  std::string error;
  REQUIRE(store->append(batch, error));

  auto found = store->find("req-3", "key_b", error);
  REQUIRE(found);
  const auto& r = *found;
  CHECK(r.record_id == hex_id(3));
  CHECK(r.tenant == "acme");
  CHECK(r.key_prefix == "sk-sy-AbC4");
  CHECK(r.model == "chat");
  CHECK(r.provider == "demo");
  CHECK(r.upstream_model == "demo-1");
  CHECK(r.client == protocols::dialect::anthropic);
  CHECK(r.stream);
  CHECK(r.status == 200);
  CHECK(r.stream_broken);
  CHECK_FALSE(r.client_gone);
  CHECK(r.attempts == 2);
  CHECK(r.hedged);
  CHECK(r.usage.prompt_tokens == 11);
  CHECK(r.usage.completion_tokens == 22);
  CHECK(r.usage.cached_tokens == 3);
  CHECK(r.usage.cache_creation_tokens == 4);
  CHECK(r.usage.reasoning_tokens == 5);
  CHECK(r.usage.reported);
  CHECK(r.cost_usd == 1.0 / 3.0);  // every digit kept
  CHECK(r.finished_at == batch[2].finished_at);
  CHECK(r.duration == batch[2].duration);
  CHECK(r.time_to_first_byte == batch[2].time_to_first_byte);
  CHECK(r.error == batch[2].error);

  // Another key's record is not found; an unknown id neither, and neither is an error.
  CHECK_FALSE(store->find("req-3", "key_a", error));
  CHECK_FALSE(store->find("req-none", "key_a", error));
  CHECK(error.empty());

  // The same batch again (a retry, a replayed spool) adds nothing.
  REQUIRE(store->append(batch, error));
  CHECK(pg.query("SELECT count(*) FROM usage")[0][0] == "3");

  const auto at = [&](std::int64_t ms) {
    return std::chrono::system_clock::time_point{std::chrono::milliseconds{ms}};
  };
  CHECK(store->spend_since("acme", "", at(t0), error) == Approx(0.25 + 0.5 + 1.0 / 3.0));
  CHECK(store->spend_since("acme", "key_a", at(t0), error) == Approx(0.75));
  CHECK(store->spend_since("acme", "", at(t0 + 1), error) == Approx(0.5 + 1.0 / 3.0));
  CHECK(store->spend_since("other", "", at(t0), error) == Approx(0));
}

TEST_CASE("pg usage store: a batch larger than one statement, and records without a record_id",
          "[pg][usage]") {
  postgres_server pg;
  auto store = open_usage(pg);
  std::vector<actors::request_record> batch;
  const std::size_t n = pg_usage_store::rows_per_statement * 2 + 17;
  for (std::size_t i = 0; i < n; ++i)
    batch.push_back(make_record(hex_id(static_cast<int>(i) + 1), "bulk-" + std::to_string(i),
                                "key_a", 0.001, 1'790'000'000'000));
  std::string error;
  REQUIRE(store->append(batch, error));
  CHECK(pg.query("SELECT count(*) FROM usage")[0][0] == std::to_string(n));

  // Two records with no record id are two rows, each with an id of its own.
  std::vector<actors::request_record> bare = {make_record("", "bare-1", "key_a", 0, 1),
                                              make_record("", "bare-2", "key_a", 0, 2)};
  REQUIRE(store->append(bare, error));
  auto ids = pg.query("SELECT record_id FROM usage WHERE request_id LIKE 'bare-%'");
  REQUIRE(ids.size() == 2);
  CHECK(ids[0][0].size() == 32);
  CHECK(ids[0][0] != ids[1][0]);
}

TEST_CASE("pg usage store: fails while the server is down, recovers when it is back",
          "[pg][usage][restart]") {
  postgres_server pg;
  auto store = open_usage(pg);
  std::string error;
  REQUIRE(store->append(std::vector{make_record(hex_id(1), "before", "k", 0.1, 1)}, error));
  CHECK(store->up().load());

  pg.stop();
  std::vector<actors::request_record> during = {make_record(hex_id(2), "during", "k", 0.2, 2)};
  CHECK_FALSE(store->append(during, error));
  CHECK_FALSE(error.empty());
  CHECK_FALSE(store->up().load());
  error.clear();
  CHECK_FALSE(store->find("before", "k", error));
  CHECK_FALSE(error.empty());

  pg.start();
  error.clear();
  // The first statement after the restart finds the old connection dead and reconnects.
  REQUIRE(eventually([&] { return store->append(during, error); }, 20s, 100ms));
  CHECK(store->up().load());
  CHECK(pg.query("SELECT string_agg(request_id, ',' ORDER BY id) FROM usage")[0][0] ==
        "before,during");
}

TEST_CASE("pg connection: errors never show the URL's password", "[pg][connection]") {
  postgres_server pg;
  std::string error;
  // Nothing listens on port 1; then a real server that rejects the (unknown) database.
  auto none = runtime::pg_connection::open(
      "postgres://alice:Sup3r%2Fsecret@127.0.0.1:1/db?password=Sup3r%2Fsecret", error);
  CHECK(none == nullptr);
  CHECK(error.find("Sup3r") == std::string::npos);
  CHECK(error.find("***") != std::string::npos);
  error.clear();
  auto missing = runtime::pg_connection::open(
      "postgres://switchyard:hunter2hunter2@127.0.0.1:" + std::to_string(pg.port()) + "/nosuchdb",
      error);
  CHECK(missing == nullptr);
  CHECK(error.find("nosuchdb") != std::string::npos);
  CHECK(error.find("hunter2") == std::string::npos);
}

TEST_CASE("pg schema: migrations are recorded once, idempotent, safe from several nodes at once",
          "[pg][schema]") {
  postgres_server pg;
  std::atomic<int> ok{0};
  std::vector<std::string> errors(3);
  {
    std::vector<std::thread> nodes;
    for (int i = 0; i < 3; ++i)
      nodes.emplace_back([&, i] {
        auto conn = runtime::pg_connection::open(pg.url(), errors[i]);
        if (conn && runtime::migrate_pg_schema(*conn, errors[i])) ++ok;
      });
    for (auto& t : nodes) t.join();
  }
  INFO(errors[0] << errors[1] << errors[2]);
  CHECK(ok == 3);
  auto versions = pg.query("SELECT version FROM schema_migrations ORDER BY version");
  REQUIRE(versions.size() == static_cast<std::size_t>(runtime::pg_schema_version()));
  CHECK(versions.back()[0] == std::to_string(runtime::pg_schema_version()));

  // Again: nothing changes, data stays.
  pg.query("INSERT INTO tenants VALUES ('kept', '{}', 1, 1)");
  std::string error;
  auto conn = runtime::pg_connection::open(pg.url(), error);
  REQUIRE(conn);
  REQUIRE(runtime::migrate_pg_schema(*conn, error));
  CHECK(pg.query("SELECT count(*) FROM schema_migrations")[0][0] ==
        std::to_string(runtime::pg_schema_version()));
  CHECK(pg.query("SELECT name FROM tenants")[0][0] == "kept");

  // A database migrated by a newer build is refused, untouched.
  pg.query("INSERT INTO schema_migrations (version) VALUES (999)");
  CHECK_FALSE(runtime::migrate_pg_schema(*conn, error));
  CHECK(error.find("newer") != std::string::npos);

  // The reporting queries have their indexes.
  auto indexes = pg.query("SELECT indexname FROM pg_indexes WHERE tablename = 'usage' ORDER BY 1");
  std::vector<std::string> names;
  for (auto& row : indexes) names.push_back(row[0]);
  CHECK(names == std::vector<std::string>{"usage_finished_at", "usage_key_finished_at",
                                          "usage_pkey", "usage_record_id_key", "usage_request_id",
                                          "usage_tenant_finished_at"});
}

TEST_CASE("pg admin store: a change commits with its audit row and is announced, a rollback is not",
          "[pg][admin]") {
  postgres_server pg;
  std::string error;
  auto store = runtime::pg_admin_store::open(pg.url(), "node-a", error);
  INFO(error);
  REQUIRE(store);

  // A plain libpq listener, to see exactly what is announced.
  PGconn* listener = PQconnectdb(pg.conninfo().c_str());
  REQUIRE(PQstatus(listener) == CONNECTION_OK);
  PQclear(PQexec(listener, "LISTEN switchyard_admin"));
  auto next_payload = [&](ms wait) -> std::optional<std::string> {
    std::optional<std::string> got;
    eventually(
        [&] {
          PQconsumeInput(listener);
          if (PGnotify* n = PQnotifies(listener)) {
            got = n->extra;
            PQfreemem(n);
          }
          return got.has_value();
        },
        wait, 20ms);
    return got;
  };

  {
    runtime::admin_store::transaction tx{*store};
    REQUIRE(tx.started(error));
    REQUIRE(store->insert_tenant({"acme", "{}", 1, 1}, error));
    // Not committed: nothing stored, nothing announced.
  }
  CHECK(pg.query("SELECT count(*) FROM tenants")[0][0] == "0");
  CHECK_FALSE(next_payload(300ms));

  {
    runtime::admin_store::transaction tx{*store};
    REQUIRE(tx.started(error));
    REQUIRE(store->insert_tenant({"acme", "{\"labels\":{}}", 1, 2}, error));
    runtime::stored_key k;
    k.id = "key_0123456789abcdef";
    k.tenant = "acme";
    k.prefix = "sk-sy-AbC4";
    k.hash = std::string(64, 'a');
    k.created_at_ms = 5;
    k.expires_at_ms = 99;
    REQUIRE(store->insert_key(k, error));
    REQUIRE(store->append_audit({0, 7, "cli", "tenant.create", "acme", "null", "{}"}, error));
    REQUIRE(tx.commit(error));
  }
  CHECK(next_payload(5s) == std::optional<std::string>{"node-a"});

  std::vector<runtime::stored_tenant> tenants;
  REQUIRE(store->tenants(tenants, error));
  REQUIRE(tenants.size() == 1);
  CHECK(tenants[0].spec == "{\"labels\":{}}");
  std::optional<runtime::stored_key> key;
  REQUIRE(store->find_key("key_0123456789abcdef", key, error));
  REQUIRE(key);
  CHECK(key->expires_at_ms == std::optional<std::int64_t>{99});
  CHECK_FALSE(key->revoked_at_ms);
  std::vector<runtime::audit_entry> audit;
  REQUIRE(store->audit(0, 10, audit, error));
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].action == "tenant.create");

  // A duplicate name fails inside the transaction, which then stores and announces nothing.
  {
    runtime::admin_store::transaction tx{*store};
    REQUIRE(tx.started(error));
    CHECK_FALSE(store->insert_tenant({"acme", "{}", 1, 1}, error));
    CHECK(error.find("duplicate") != std::string::npos);
  }
  CHECK_FALSE(next_payload(300ms));
  PQfinish(listener);
}

TEST_CASE("pg listener: calls back on connect, on others' changes (not its own), after a restart",
          "[pg][listener][restart]") {
  postgres_server pg;
  std::atomic<int> calls{0};
  runtime::pg_listener listener{pg.url(), "node-b", [&] { ++calls; }};
  REQUIRE(eventually([&] { return calls.load() == 1 && listener.up().load(); }, 10s));

  pg.query("NOTIFY switchyard_admin, 'node-b'");  // its own: ignored
  pg.query("NOTIFY switchyard_admin, 'node-a'");
  REQUIRE(eventually([&] { return calls.load() == 2; }, 5s));
  std::this_thread::sleep_for(200ms);
  CHECK(calls.load() == 2);

  pg.stop();
  REQUIRE(eventually([&] { return !listener.up().load(); }, 10s));
  pg.start();
  // Notifications sent meanwhile were lost: it calls back once it listens again.
  REQUIRE(eventually([&] { return listener.up().load() && calls.load() == 3; }, 20s));
  listener.stop();
  CHECK_FALSE(listener.up().load());
}

TEST_CASE("pg admin store: changes from two nodes are serialized, not interleaved", "[pg][admin]") {
  postgres_server pg;
  std::string error;
  auto a = runtime::pg_admin_store::open(pg.url(), "node-a", error);
  auto b = runtime::pg_admin_store::open(pg.url(), "node-b", error);
  REQUIRE(a);
  REQUIRE(b);
  auto first = std::make_unique<runtime::admin_store::transaction>(*a);
  REQUIRE(first->started(error));
  std::optional<runtime::stored_tenant> seen_by_a;
  REQUIRE(a->find_tenant("dup", seen_by_a, error));
  CHECK_FALSE(seen_by_a);

  // B's change waits for A's to end, then sees what A wrote (as its check-then-insert needs).
  std::atomic<bool> b_started{false};
  std::optional<runtime::stored_tenant> seen_by_b;
  std::thread other([&] {
    std::string e;
    runtime::admin_store::transaction tx{*b};
    b_started = tx.started(e);
    b->find_tenant("dup", seen_by_b, e);
  });
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(b_started.load());
  REQUIRE(a->insert_tenant({"dup", "{}", 1, 1}, error));
  REQUIRE(first->commit(error));
  other.join();
  CHECK(b_started.load());
  CHECK(seen_by_b);
}

TEST_CASE("pg admin store: a change stuck behind another node's gives up after the lock timeout",
          "[pg][admin]") {
  postgres_server pg;
  std::string error;
  auto a = runtime::pg_admin_store::open(pg.url(), "node-a", error);
  auto b = runtime::pg_admin_store::open(pg.url(), "node-b", error);
  REQUIRE(a);
  REQUIRE(b);
  runtime::admin_store::transaction stalled{*a};
  REQUIRE(stalled.started(error));
  runtime::admin_store::transaction waiting{*b};
  CHECK_FALSE(waiting.started(error));
  CHECK(error.find("lock timeout") != std::string::npos);
}

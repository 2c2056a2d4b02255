// Fail closed through the real binary: while the usage store cannot be written (another process
// holds its write lock), records wait in the spool; once the spool is full, API requests get 503
// and /health/ready says why; when the store is back, the spool drains and requests are served.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;

namespace {

unsigned chat(std::uint16_t port) {
  return post_json(port, "/v1/chat/completions", chat_body("chat"), test_key, 30s).status;
}

double metric(std::uint16_t port, const std::string& name) {
  return metric_series(port, name).value_or(-1);
}

}  // namespace

TEST_CASE("fail closed: a full usage spool refuses requests until the store recovers") {
  temp_dir dir;
  gateway gw(dir, config_builder()
                      .server("usage_spool_records", "2")
                      .mock_provider("demo")
                      .model("chat", {{"demo", "demo-1"}})
                      .render(dir));
  REQUIRE(chat(gw.port()) == 200);
  CHECK(get(gw.port(), "/health/ready").status == 200);
  CHECK(metric(gw.port(), "switchyard_usage_storage_failing") == 0);

  // Another connection takes the write lock and keeps it.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path() / "switchyard.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);

  // Requests are served while the spool has room; then refused.
  bool refused = false;
  std::string refusal;
  REQUIRE(eventually(
      [&] {
        auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key, 30s);
        if (r.status == 503) {
          refused = true;
          refusal = r.body;
          CHECK(r.header("retry-after") == "5");
        } else {
          CHECK(r.status == 200);
        }
        return refused;
      },
      60s, 100ms));
  CHECK(refusal.find("could not bill") != std::string::npos);
  auto ready = get(gw.port(), "/health/ready");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("storage_unavailable") != std::string::npos);
  // The spool may fill before a write has had time to fail (SQLite waits 5 s for the lock).
  CHECK(eventually([&] { return metric(gw.port(), "switchyard_usage_storage_failing") == 1; }, 30s,
                   100ms));
  CHECK(get(gw.port(), "/health/ready").status == 503);
  CHECK(metric(gw.port(), "switchyard_usage_spool_limit") == 2);
  // Routes that make no usage record still answer.
  CHECK(get(gw.port(), "/v1/models", test_key).status == 200);

  REQUIRE(sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  REQUIRE(eventually([&] { return get(gw.port(), "/health/ready").status == 200; }, 60s, 100ms));
  CHECK(chat(gw.port()) == 200);
  CHECK(
      eventually([&] { return metric(gw.port(), "switchyard_usage_storage_failing") == 0; }, 30s));
}

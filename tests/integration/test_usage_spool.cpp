// The usage journal through the real binary: while the store cannot be written, requests are
// served and their records wait on disk; when it returns each is stored once. A gateway killed
// (SIGKILL) with records on disk, or in the middle of a load, stores them at its next start: every
// response a client received completely has exactly one record.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "checks.hpp"
#include "harness.hpp"

using namespace switchyard::itest;
namespace fs = std::filesystem;

namespace {

double metric(std::uint16_t port, const std::string& name) {
  return metric_series(port, name).value_or(-1);
}

// request_id -> rows in the usage table (and, in `anonymous`, rows without a record id).
std::map<std::string, int> rows_per_request(const temp_dir& dir, int* anonymous = nullptr) {
  sqlite3* db = nullptr;
  const auto path = (dir.path() / "switchyard.db").string();
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5'000);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT request_id, record_id FROM usage", -1, &s, nullptr) ==
          SQLITE_OK);
  std::map<std::string, int> rows;
  if (anonymous != nullptr) *anonymous = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    ++rows[reinterpret_cast<const char*>(sqlite3_column_text(s, 0))];
    if (anonymous != nullptr && sqlite3_column_type(s, 1) == SQLITE_NULL) ++*anonymous;
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rows;
}

// Bytes in the journal's segment files.
std::uintmax_t journal_bytes(const temp_dir& dir) {
  std::uintmax_t total = 0;
  for (const auto& e : fs::directory_iterator{dir.path() / "spool"})
    if (e.path().filename().string().rfind("journal-", 0) == 0) total += e.file_size();
  return total;
}

// Holds the store's write lock (as another writer would) until released.
class store_lock {
 public:
  explicit store_lock(const temp_dir& dir) {
    REQUIRE(sqlite3_open((dir.path() / "switchyard.db").c_str(), &db_) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db_, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr) == SQLITE_OK);
  }
  ~store_lock() { release(); }
  void release() {
    if (db_ == nullptr) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }

 private:
  sqlite3* db_ = nullptr;
};

std::string served_chat(std::uint16_t port) {
  auto r = post_json(port, "/v1/chat/completions", chat_body("chat"), test_key, 30s);
  REQUIRE(r.status == 200);
  return r.header("x-request-id");
}

// The record of the first request is stored (a response reaches its client before its record
// is journaled, so an empty journal alone proves nothing yet).
bool first_record_stored(std::uint16_t port) {
  return eventually([&] {
    return metric(port, "switchyard_usage_records_written_total") == 1 &&
           metric(port, "switchyard_usage_spool_records") == 0;
  });
}

std::string config(const temp_dir& dir) {
  return config_builder().mock_provider("demo").model("chat", {{"demo", "demo-1"}}).render(dir);
}

}  // namespace

TEST_CASE("spool: records wait on disk while the store fails, then each is stored once") {
  temp_dir dir;
  gateway gw(dir, config(dir));
  std::set<std::string> ids{served_chat(gw.port())};
  REQUIRE(first_record_stored(gw.port()));

  store_lock lock{dir};
  for (int i = 0; i < 20; ++i) ids.insert(served_chat(gw.port()));
  REQUIRE(ids.size() == 21);
  CHECK(eventually([&] { return metric(gw.port(), "switchyard_usage_spool_records") == 20; }));
  CHECK(journal_bytes(dir) > 0);
  CHECK(eventually([&] { return metric(gw.port(), "switchyard_usage_storage_failing") == 1; }, 30s,
                   100ms));

  lock.release();
  REQUIRE(eventually([&] { return metric(gw.port(), "switchyard_usage_spool_records") == 0; }, 30s,
                     50ms));
  int anonymous = -1;
  auto rows = rows_per_request(dir, &anonymous);
  CHECK(rows.size() == ids.size());
  for (const auto& id : ids) CHECK(rows[id] == 1);
  CHECK(anonymous == 0);
  CHECK(metric(gw.port(), "switchyard_usage_replayed_total") == 0);  // nothing from disk: memory
  CHECK(eventually([&] { return journal_bytes(dir) == 0; }));        // stored: the journal emptied
}

TEST_CASE("spool: a gateway killed while its store fails stores the records at its next start") {
  temp_dir dir;
  std::set<std::string> ids;
  {
    gateway gw(dir, config(dir));
    ids.insert(served_chat(gw.port()));
    REQUIRE(first_record_stored(gw.port()));
    store_lock lock{dir};
    for (int i = 0; i < 12; ++i) ids.insert(served_chat(gw.port()));
    REQUIRE(eventually([&] { return metric(gw.port(), "switchyard_usage_spool_records") == 12; }));
    gw.proc().signal(SIGKILL);
    REQUIRE(gw.proc().wait_exit(10s) == 128 + SIGKILL);
  }                                          // the lock is released: the store works again
  CHECK(rows_per_request(dir).size() == 1);  // only the record stored before the lock

  gateway again(dir, config(dir));
  // Stored before the gateway listens: the replay is part of its start.
  CHECK(metric(again.port(), "switchyard_usage_replayed_total") == 12);
  CHECK(metric(again.port(), "switchyard_usage_spool_records") == 0);
  auto rows = rows_per_request(dir);
  CHECK(rows.size() == ids.size());
  for (const auto& id : ids) CHECK(rows[id] == 1);
  CHECK(again.proc().stderr_text().find("12 record(s) from an earlier run will be stored again "
                                        "(once each); 0 of them provisional") != std::string::npos);
}

TEST_CASE("spool: SIGKILL under load loses no record of a completed response, doubles none") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().latency_ms(5).reply_tokens(8));
  const std::string yaml =
      config_builder().provider("up", up.base_url()).model("chat", {{"up", "m"}}).render(dir);
  std::mutex mutex;
  std::set<std::string> completed;  // x-request-id of every response received whole
  {
    gateway gw(dir, yaml);
    const auto port = gw.port();
    std::atomic<bool> killed{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        for (int i = 0; !killed.load(); ++i) {
          try {
            std::string id;
            if ((c + i) % 2 == 0) {
              auto r = post_json(port, "/v1/chat/completions", chat_body("chat"), test_key, 10s);
              auto doc = r.json();
              if (r.status == 200 && !doc.HasParseError() && json_at(doc, "choices/0") != nullptr)
                id = r.header("x-request-id");
            } else {
              sse_stream s(port, "/v1/chat/completions", chat_body("chat", true), test_key, 10s);
              if (s.status() == 200) {
                const auto summary = summarize(s.rest(10s));
                if (s.end_reason() == "complete" && summary.done && summary.error_events == 0)
                  id = s.header("x-request-id");
              }
            }
            if (!id.empty()) {
              std::lock_guard<std::mutex> g{mutex};
              completed.insert(id);
            }
          } catch (const std::exception&) {
            // The gateway is gone (killed): a response cut short is not a completed one.
          }
        }
      });
    }
    REQUIRE(eventually(
        [&] {
          std::lock_guard<std::mutex> g{mutex};
          return completed.size() >= 150;
        },
        60s));
    gw.proc().signal(SIGKILL);
    killed = true;
    for (auto& t : clients) t.join();
    REQUIRE(gw.proc().wait_exit(10s) == 128 + SIGKILL);
  }
  const auto before_restart = rows_per_request(dir);

  gateway again(dir, yaml);
  auto rows = rows_per_request(dir);
  const auto log = again.proc().stderr_text();
  const auto announced = log.find("usage journal: ");
  if (announced != std::string::npos)  // the replay's own account: how many were provisional
    std::printf("SIGKILL under load: %zu responses completed; %s\n", completed.size(),
                log.substr(announced, log.find('\n', announced) - announced).c_str());
  INFO(completed.size() << " completed responses; " << before_restart.size()
                        << " records stored before the kill; replayed "
                        << metric(again.port(), "switchyard_usage_replayed_total"));
  std::size_t missing = 0;
  for (const auto& id : completed) missing += rows.count(id) == 0 ? 1 : 0;
  CHECK(missing == 0);
  for (const auto& [id, n] : rows) {
    INFO(id);
    CHECK(n == 1);
  }
  CHECK(metric(again.port(), "switchyard_usage_spool_records") == 0);
}

TEST_CASE("spool: a damaged journal entry is reported and skipped; the gateway serves") {
  temp_dir dir;
  fs::create_directories(dir.path() / "spool");
  // Left by an earlier run: a frame whose checksum does not match its payload, then a torn one.
  const std::string damaged{
      "\x0a\x00\x00\x00\xde\xad\xbe\xef"
      "0123456789"
      "\x30\x00",
      20};
  dir.write("spool/journal-00000000000000000007.log", damaged);
  gateway gw(dir, config(dir));
  CHECK(metric(gw.port(), "switchyard_usage_journal_corrupt_total") == 1);
  CHECK(metric(gw.port(), "switchyard_usage_replayed_total") == 0);
  const auto log = gw.proc().stderr_text();
  CHECK(log.find("journal-00000000000000000007.log: offset 0: checksum mismatch; entry skipped") !=
        std::string::npos);
  CHECK(log.find("an incomplete last entry (2 bytes") != std::string::npos);
  served_chat(gw.port());
  // Nothing in it could be stored: the file is not read again, but a copy is kept to inspect.
  CHECK_FALSE(fs::exists(dir.path() / "spool/journal-00000000000000000007.log"));
  CHECK(fs::file_size(dir.path() / "spool/journal-00000000000000000007.log.damaged") == 20);
}

TEST_CASE("spool: a second gateway on the same spool_dir refuses to start, saying why") {
  temp_dir dir;
  const std::string yaml = config(dir);
  gateway first(dir, yaml);
  process second("second switchyard",
                 {SWITCHYARD_BINARY, "--config", (dir.path() / "switchyard.yaml").string()},
                 dir.path() / "second.stderr");
  REQUIRE(second.wait_exit(20s) == 1);
  CHECK(second.stderr_text().find("spool_dir " + (dir.path() / "spool").string() +
                                  ": another running gateway uses this directory (each node "
                                  "needs its own)") != std::string::npos);
  CHECK(served_chat(first.port()).size() == 32);  // the first one serves on
}

TEST_CASE("spool: records past the memory bound are stored from disk when the store is back") {
  temp_dir dir;
  mock_provider up(dir, "up", mock_options().latency_ms(300));
  gateway gw(dir, config_builder()
                      .server("usage_spool_records", "3")
                      .provider("up", up.base_url())
                      .model("chat", {{"up", "m"}})
                      .render(dir));
  std::set<std::string> ids{served_chat(gw.port())};
  REQUIRE(first_record_stored(gw.port()));
  store_lock lock{dir};
  // Twelve at once: all admitted while the spool was empty; nine of their records go past it.
  std::mutex mutex;
  std::vector<std::thread> clients;
  for (int i = 0; i < 12; ++i)
    clients.emplace_back([&] {
      auto r = post_json(gw.port(), "/v1/chat/completions", chat_body("chat"), test_key, 30s);
      std::lock_guard<std::mutex> g{mutex};
      if (r.status == 200) ids.insert(r.header("x-request-id"));
    });
  for (auto& t : clients) t.join();
  REQUIRE(ids.size() == 13);
  CHECK(eventually([&] { return metric(gw.port(), "switchyard_usage_spool_records") == 12; }));
  // The writer may be waiting on the locked store (5 s) before it takes the next records.
  CHECK(eventually([&] { return metric(gw.port(), "switchyard_usage_records_pending") == 3; }, 30s,
                   50ms));
  CHECK(metric(gw.port(), "switchyard_usage_records_dropped_total") == 0);

  lock.release();
  REQUIRE(eventually([&] { return metric(gw.port(), "switchyard_usage_spool_records") == 0; }, 60s,
                     50ms));
  auto rows = rows_per_request(dir);
  CHECK(rows.size() == ids.size());
  for (const auto& id : ids) CHECK(rows[id] == 1);
  CHECK(get(gw.port(), "/health/ready").status == 200);
}

// The SQLite usage store: schema and WAL on open (directory created), one row per record with
// every field, rows kept across reopening, a failed open explained, and storage URLs.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "runtime/sqlite_usage_store.hpp"

using namespace switchyard;

namespace {

struct temp_path {
  std::filesystem::path dir;
  temp_path() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sy-usage-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
  }
  ~temp_path() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

actors::request_record sample(const std::string& id) {
  actors::request_record r;
  r.request_id = id;
  r.tenant = "team-a";
  r.key_prefix = "sk-team-…";
  r.model = "gpt-4o-mini";
  r.provider = "openai";
  r.upstream_model = "gpt-4o-mini-2024";
  r.client = protocols::dialect::anthropic;
  r.stream = true;
  r.status = 200;
  r.attempts = 2;
  r.usage = {100, 20, 30, 5, true, 7};
  r.cost_usd = 0.0125;
  r.duration = std::chrono::microseconds{1500};
  r.time_to_first_byte = std::chrono::microseconds{400};
  r.finished_at = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'700'000'000'123}};
  return r;
}

// Runs `sql` on the database file and returns each row's columns as text.
std::vector<std::vector<std::string>> query(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK);
  std::vector<std::vector<std::string>> rows;
  while (sqlite3_step(s) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int i = 0; i < sqlite3_column_count(s); ++i) {
      const auto* text = sqlite3_column_text(s, i);
      row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "NULL");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rows;
}

}  // namespace

TEST_CASE("usage records become rows with every field", "[usage_store]") {
  temp_path tmp;
  const std::string path = (tmp.dir / "nested" / "usage.db").string();
  auto store = runtime::sqlite_usage_store::open(path);
  REQUIRE(store.ok());
  std::vector<actors::request_record> batch{sample("r1"), sample("r2")};
  batch[1].kind = protocols::api_kind::embeddings;
  batch[1].client = protocols::dialect::openai;
  batch[1].error = "provider `a`: reset";
  batch[1].hedged = true;
  std::string error;
  REQUIRE(store.value()->append(batch, error));

  CHECK(query(path, "PRAGMA journal_mode")[0][0] == "wal");
  auto rows = query(path,
                    "SELECT request_id, finished_at_ms, tenant, key_prefix, route, model, provider, "
                    "upstream_model, stream, status, attempts, prompt_tokens, completion_tokens, "
                    "cached_tokens, reasoning_tokens, cache_creation_tokens, usage_reported, "
                    "cost_usd, duration_us, ttfb_us, error FROM usage ORDER BY id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == std::vector<std::string>{"r1", "1700000000123", "team-a", "sk-team-…",
                                            "messages", "gpt-4o-mini", "openai",
                                            "gpt-4o-mini-2024", "1", "200", "2", "100", "20",
                                            "30", "5", "7", "1", "0.0125", "1500", "400", ""});
  CHECK(rows[1][4] == "embeddings");
  CHECK(rows[1][20] == "provider `a`: reset");
  auto hedged = query(path, "SELECT hedged FROM usage ORDER BY id");
  CHECK(hedged == std::vector<std::vector<std::string>>{{"0"}, {"1"}});
  auto found = store.value()->find("r2", "", error);
  REQUIRE(found);
  CHECK(found->hedged);
  CHECK(found->attempts == 2);
  found = store.value()->find("r1", "", error);
  REQUIRE(found);
  CHECK_FALSE(found->hedged);
}

TEST_CASE("a usage file from before the hedged column gets it, its rows unhedged",
          "[usage_store]") {
  temp_path tmp;
  const std::string path = (tmp.dir / "usage.db").string();
  {
    // The table as the first releases created it (no `hedged`), with one record.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const char* old_schema = R"sql(
CREATE TABLE usage (
  id INTEGER PRIMARY KEY, request_id TEXT NOT NULL, finished_at_ms INTEGER NOT NULL,
  tenant TEXT NOT NULL, key_prefix TEXT NOT NULL, key_id TEXT NOT NULL, route TEXT NOT NULL,
  model TEXT NOT NULL, provider TEXT NOT NULL, upstream_model TEXT NOT NULL,
  stream INTEGER NOT NULL, status INTEGER NOT NULL, stream_broken INTEGER NOT NULL,
  client_gone INTEGER NOT NULL, attempts INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
  cache_creation_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
  usage_reported INTEGER NOT NULL, cost_usd REAL NOT NULL, duration_us INTEGER NOT NULL,
  ttfb_us INTEGER NOT NULL, error TEXT NOT NULL);
INSERT INTO usage VALUES (1, 'old', 1700000000000, 't', 'sk-…', 'k', 'chat', 'm', 'p', 'u',
  0, 200, 0, 0, 3, 1, 2, 0, 0, 0, 1, 0.5, 10, 5, '');
)sql";
    REQUIRE(sqlite3_exec(db, old_schema, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = runtime::sqlite_usage_store::open(path);
  REQUIRE(store.ok());
  std::string error;
  auto old = store.value()->find("old", "k", error);
  REQUIRE(old);
  CHECK_FALSE(old->hedged);
  CHECK(old->attempts == 3);
  std::vector<actors::request_record> one{sample("new")};
  one[0].hedged = true;
  REQUIRE(store.value()->append(one, error));
  CHECK(query(path, "SELECT request_id, hedged FROM usage ORDER BY id") ==
        std::vector<std::vector<std::string>>{{"old", "0"}, {"new", "1"}});
  // Opening the migrated file again changes nothing.
  auto reopened = runtime::sqlite_usage_store::open(path);
  REQUIRE(reopened.ok());
  CHECK(query(path, "SELECT COUNT(*) FROM pragma_table_info('usage') WHERE name = 'hedged'") ==
        std::vector<std::vector<std::string>>{{"1"}});
  // The record-id column came with the migration too: the old row has none.
  CHECK(query(path, "SELECT request_id, record_id FROM usage ORDER BY id") ==
        std::vector<std::vector<std::string>>{{"old", "NULL"}, {"new", "NULL"}});
  one[0].record_id = "0123456789abcdef0123456789abcdef";
  REQUIRE(reopened.value()->append(one, error));
  REQUIRE(reopened.value()->append(one, error));
  CHECK(query(path, "SELECT COUNT(*) FROM usage WHERE record_id IS NOT NULL") ==
        std::vector<std::vector<std::string>>{{"1"}});
}

TEST_CASE("a record stored twice is stored once, by its record id", "[usage_store]") {
  temp_path tmp;
  const std::string path = (tmp.dir / "usage.db").string();
  auto store = runtime::sqlite_usage_store::open(path);
  REQUIRE(store.ok());
  std::vector<actors::request_record> batch{sample("a"), sample("b")};
  batch[0].record_id = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  batch[1].record_id = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  std::string error;
  REQUIRE(store.value()->append(batch, error));
  // A replay: the same records again, one of them in a batch with a new one. The first version
  // stored stays; the batch still succeeds.
  std::vector<actors::request_record> replay{batch[1], sample("c")};
  replay[0].cost_usd = 99;
  replay[1].record_id = "cccccccccccccccccccccccccccccccc";
  REQUIRE(store.value()->append(replay, error));
  REQUIRE(store.value()->append(batch, error));
  CHECK(query(path, "SELECT request_id, record_id, cost_usd FROM usage ORDER BY id") ==
        std::vector<std::vector<std::string>>{{"a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "0.0125"},
                                              {"b", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "0.0125"},
                                              {"c", "cccccccccccccccccccccccccccccccc", "0.0125"}});
  // Records without an id (written by older code paths) are never taken for duplicates.
  std::vector<actors::request_record> anonymous{sample("x"), sample("x")};
  REQUIRE(store.value()->append(anonymous, error));
  CHECK(query(path, "SELECT COUNT(*) FROM usage WHERE request_id = 'x'") ==
        std::vector<std::vector<std::string>>{{"2"}});
  auto found = store.value()->find("b", "", error);
  REQUIRE(found);
  CHECK(found->record_id == "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
}

TEST_CASE("rows survive reopening the store", "[usage_store]") {
  temp_path tmp;
  const std::string path = (tmp.dir / "usage.db").string();
  std::string error;
  {
    auto store = runtime::sqlite_usage_store::open(path);
    REQUIRE(store.ok());
    std::vector<actors::request_record> one{sample("a")};
    REQUIRE(store.value()->append(one, error));
  }
  auto again = runtime::sqlite_usage_store::open(path);
  REQUIRE(again.ok());
  std::vector<actors::request_record> two{sample("b"), sample("c")};
  REQUIRE(again.value()->append(two, error));
  auto rows = query(path, "SELECT request_id FROM usage ORDER BY id");
  REQUIRE(rows.size() == 3);
  CHECK(rows[0][0] == "a");
  CHECK(rows[2][0] == "c");
}

TEST_CASE("a store that cannot be opened says where and why", "[usage_store]") {
  temp_path tmp;
  const auto file = tmp.dir / "a-file";
  { std::ofstream{file} << std::string(4096, 'x'); }  // no SQLite header
  auto store = runtime::sqlite_usage_store::open((file / "usage.db").string());
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().find((file / "usage.db").string()) != std::string::npos);
  auto not_db = runtime::sqlite_usage_store::open(file.string());  // a file that is no database
  REQUIRE_FALSE(not_db.ok());
}

TEST_CASE("sqlite storage URLs name a path", "[usage_store]") {
  CHECK(runtime::sqlite_path_of("sqlite://var/switchyard.db") == "var/switchyard.db");
  CHECK(runtime::sqlite_path_of("sqlite:///var/lib/sy.db") == "/var/lib/sy.db");
  CHECK(runtime::sqlite_path_of("postgres://db/sy").empty());
}

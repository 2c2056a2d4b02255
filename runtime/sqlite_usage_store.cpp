// SQLite usage store (see sqlite_usage_store.hpp).
#include "runtime/sqlite_usage_store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

namespace switchyard::runtime {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS usage (
  id                    INTEGER PRIMARY KEY,
  request_id            TEXT    NOT NULL,
  finished_at_ms        INTEGER NOT NULL,
  tenant                TEXT    NOT NULL,
  key_prefix            TEXT    NOT NULL,
  key_id                TEXT    NOT NULL,
  route                 TEXT    NOT NULL,
  model                 TEXT    NOT NULL,
  provider              TEXT    NOT NULL,
  upstream_model        TEXT    NOT NULL,
  stream                INTEGER NOT NULL,
  status                INTEGER NOT NULL,
  stream_broken         INTEGER NOT NULL,
  client_gone           INTEGER NOT NULL,
  attempts              INTEGER NOT NULL,
  prompt_tokens         INTEGER NOT NULL,
  completion_tokens     INTEGER NOT NULL,
  cached_tokens         INTEGER NOT NULL,
  cache_creation_tokens INTEGER NOT NULL,
  reasoning_tokens      INTEGER NOT NULL,
  usage_reported        INTEGER NOT NULL,
  cost_usd              REAL    NOT NULL,
  duration_us           INTEGER NOT NULL,
  ttfb_us               INTEGER NOT NULL,
  error                 TEXT    NOT NULL,
  hedged                INTEGER NOT NULL DEFAULT 0,
  record_id             TEXT
);
CREATE INDEX IF NOT EXISTS usage_request_id ON usage (request_id);
CREATE INDEX IF NOT EXISTS usage_finished_at ON usage (finished_at_ms);
)sql";

// Insert and select list the columns in this order; the binds and reads below follow it.
#define USAGE_COLUMNS                                                                           \
  "request_id, finished_at_ms, tenant, key_prefix, key_id, route, model, provider, "            \
  "upstream_model, stream, status, stream_broken, client_gone, attempts, prompt_tokens, "        \
  "completion_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens, usage_reported, " \
  "cost_usd, duration_us, ttfb_us, error, hedged, record_id"

constexpr const char* insert_sql =
    "INSERT INTO usage (" USAGE_COLUMNS ") "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, "
    "?20, ?21, ?22, ?23, ?24, ?25, ?26) "
    // A record already stored (replayed from the journal after a crash) is stored once.
    "ON CONFLICT (record_id) DO NOTHING";

constexpr const char* find_sql =
    "SELECT " USAGE_COLUMNS " FROM usage WHERE request_id = ?1 AND key_id = ?2 "
    "ORDER BY id DESC LIMIT 1";

std::string message_of(sqlite3* db) { return db != nullptr ? sqlite3_errmsg(db) : "out of memory"; }

bool exec(sqlite3* db, const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error = msg != nullptr ? msg : message_of(db);
  sqlite3_free(msg);
  return false;
}

const char* route_of(const actors::request_record& r) {
  if (r.kind == protocols::api_kind::embeddings) return "embeddings";
  return r.client == protocols::dialect::anthropic ? "messages" : "chat";
}

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void bind_record(sqlite3_stmt* s, const actors::request_record& r) {
  bind_text(s, 1, r.request_id);
  sqlite3_bind_int64(
      s, 2,
      std::chrono::duration_cast<std::chrono::milliseconds>(r.finished_at.time_since_epoch())
          .count());
  bind_text(s, 3, r.tenant);
  bind_text(s, 4, r.key_prefix);
  bind_text(s, 5, r.key_id);
  sqlite3_bind_text(s, 6, route_of(r), -1, SQLITE_STATIC);
  bind_text(s, 7, r.model);
  bind_text(s, 8, r.provider);
  bind_text(s, 9, r.upstream_model);
  sqlite3_bind_int(s, 10, r.stream ? 1 : 0);
  sqlite3_bind_int(s, 11, static_cast<int>(r.status));
  sqlite3_bind_int(s, 12, r.stream_broken ? 1 : 0);
  sqlite3_bind_int(s, 13, r.client_gone ? 1 : 0);
  sqlite3_bind_int(s, 14, static_cast<int>(r.attempts));
  sqlite3_bind_int64(s, 15, r.usage.prompt_tokens);
  sqlite3_bind_int64(s, 16, r.usage.completion_tokens);
  sqlite3_bind_int64(s, 17, r.usage.cached_tokens);
  sqlite3_bind_int64(s, 18, r.usage.cache_creation_tokens);
  sqlite3_bind_int64(s, 19, r.usage.reasoning_tokens);
  sqlite3_bind_int(s, 20, r.usage.reported ? 1 : 0);
  sqlite3_bind_double(s, 21, r.cost_usd);
  sqlite3_bind_int64(s, 22, r.duration.count());
  sqlite3_bind_int64(s, 23, r.time_to_first_byte.count());
  bind_text(s, 24, r.error);
  sqlite3_bind_int(s, 25, r.hedged ? 1 : 0);
  // NULL, not '', without an id: the unique index lets any number of NULLs through.
  if (r.record_id.empty())
    sqlite3_bind_null(s, 26);
  else
    bind_text(s, 26, r.record_id);
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* t = sqlite3_column_text(s, i);
  return t != nullptr ? std::string{reinterpret_cast<const char*>(t),
                                    static_cast<std::size_t>(sqlite3_column_bytes(s, i))}
                      : std::string{};
}

std::uint32_t column_u32(sqlite3_stmt* s, int i) {
  return static_cast<std::uint32_t>(sqlite3_column_int64(s, i));
}

// The inverse of bind_record, from a row of USAGE_COLUMNS.
actors::request_record read_record(sqlite3_stmt* s) {
  actors::request_record r;
  r.request_id = column_text(s, 0);
  r.finished_at = std::chrono::system_clock::time_point{
      std::chrono::milliseconds{sqlite3_column_int64(s, 1)}};
  r.tenant = column_text(s, 2);
  r.key_prefix = column_text(s, 3);
  r.key_id = column_text(s, 4);
  const std::string route = column_text(s, 5);
  r.kind = route == "embeddings" ? protocols::api_kind::embeddings
                                 : protocols::api_kind::chat_completions;
  r.client = route == "messages" ? protocols::dialect::anthropic : protocols::dialect::openai;
  r.model = column_text(s, 6);
  r.provider = column_text(s, 7);
  r.upstream_model = column_text(s, 8);
  r.stream = sqlite3_column_int(s, 9) != 0;
  r.status = static_cast<unsigned>(sqlite3_column_int(s, 10));
  r.stream_broken = sqlite3_column_int(s, 11) != 0;
  r.client_gone = sqlite3_column_int(s, 12) != 0;
  r.attempts = column_u32(s, 13);
  r.usage.prompt_tokens = column_u32(s, 14);
  r.usage.completion_tokens = column_u32(s, 15);
  r.usage.cached_tokens = column_u32(s, 16);
  r.usage.cache_creation_tokens = column_u32(s, 17);
  r.usage.reasoning_tokens = column_u32(s, 18);
  r.usage.reported = sqlite3_column_int(s, 19) != 0;
  r.cost_usd = sqlite3_column_double(s, 20);
  r.duration = std::chrono::microseconds{sqlite3_column_int64(s, 21)};
  r.time_to_first_byte = std::chrono::microseconds{sqlite3_column_int64(s, 22)};
  r.error = column_text(s, 23);
  r.hedged = sqlite3_column_int(s, 24) != 0;
  r.record_id = column_text(s, 25);
  return r;
}

// True when the usage table has a column `name` (false on error, with `error` set).
bool has_column(sqlite3* db, std::string_view name, std::string& error) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('usage')", -1, &s, nullptr) !=
      SQLITE_OK) {
    error = message_of(db);
    return false;
  }
  bool found = false;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW)
    if (column_text(s, 0) == name) found = true;
  if (rc != SQLITE_DONE) error = message_of(db);
  sqlite3_finalize(s);
  return found;
}

// Adds column `name` to a file written before it existed, with the value older records
// implicitly had. Another gateway on the same file may add it first: then the ALTER fails, and
// the column is there.
bool add_column(sqlite3* db, std::string_view name, const char* alter, std::string& error) {
  if (has_column(db, name, error)) return true;
  if (!error.empty()) return false;
  if (exec(db, alter, error)) return true;
  std::string again;
  if (has_column(db, name, again)) {
    error.clear();
    return true;
  }
  return false;
}

// Older files get the newer columns; records written before record ids existed keep NULL there.
// The unique index comes after its column, which an older file only has from here on.
bool migrate(sqlite3* db, std::string& error) {
  return add_column(db, "hedged", "ALTER TABLE usage ADD COLUMN hedged INTEGER NOT NULL DEFAULT 0",
                    error) &&
         add_column(db, "record_id", "ALTER TABLE usage ADD COLUMN record_id TEXT", error) &&
         exec(db, "CREATE UNIQUE INDEX IF NOT EXISTS usage_record_id ON usage (record_id)", error);
}

}  // namespace

std::string sqlite_path_of(const std::string& storage_url) {
  constexpr std::string_view scheme = "sqlite://";
  if (storage_url.rfind(scheme, 0) != 0) return {};
  return storage_url.substr(scheme.size());
}

protocols::result<std::shared_ptr<sqlite_usage_store>, std::string> sqlite_usage_store::open(
    const std::string& path) {
  const std::string where = "usage store " + path + ": ";
  std::error_code ec;
  const auto dir = std::filesystem::path{path}.parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return where + "cannot create its directory: " + ec.message();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    std::string error = where + message_of(db);
    sqlite3_close(db);
    return error;
  }
  sqlite3_busy_timeout(db, 5'000);
  std::string error;
  // WAL: readers (reports, admin tools) never block the writer; NORMAL sync is durable across a
  // process crash, and across a power loss up to the last checkpoint.
  if (!exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", error) ||
      !exec(db, schema, error) || !migrate(db, error)) {
    sqlite3_close(db);
    return where + error;
  }
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* find = nullptr;
  if (sqlite3_prepare_v2(db, insert_sql, -1, &insert, nullptr) != SQLITE_OK ||
      sqlite3_prepare_v2(db, find_sql, -1, &find, nullptr) != SQLITE_OK) {
    error = where + message_of(db);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return error;
  }
  return std::shared_ptr<sqlite_usage_store>(new sqlite_usage_store(db, insert, find));
}

sqlite_usage_store::~sqlite_usage_store() {
  sqlite3_finalize(find_);
  sqlite3_finalize(insert_);
  sqlite3_close(db_);
}

bool sqlite_usage_store::append(std::span<const actors::request_record> records,
                                std::string& error) {
  if (!exec(db_, "BEGIN IMMEDIATE", error)) return false;
  for (const auto& r : records) {
    sqlite3_stmt* s = insert_;
    sqlite3_reset(s);
    bind_record(s, r);
    if (sqlite3_step(s) != SQLITE_DONE) {
      error = message_of(db_);
      sqlite3_reset(s);
      std::string ignored;
      exec(db_, "ROLLBACK", ignored);
      return false;
    }
  }
  sqlite3_reset(insert_);
  if (!exec(db_, "COMMIT", error)) {
    std::string ignored;
    exec(db_, "ROLLBACK", ignored);
    return false;
  }
  return true;
}


std::optional<actors::request_record> sqlite_usage_store::find(const std::string& request_id,
                                                               const std::string& key_id,
                                                               std::string& error) {
  sqlite3_reset(find_);
  bind_text(find_, 1, request_id);
  bind_text(find_, 2, key_id);
  const int rc = sqlite3_step(find_);
  std::optional<actors::request_record> found;
  if (rc == SQLITE_ROW)
    found = read_record(find_);
  else if (rc != SQLITE_DONE)
    error = message_of(db_);
  sqlite3_reset(find_);
  return found;
}

// Run once per budget at start: prepared on the spot rather than kept for the store's life.
std::optional<double> sqlite_usage_store::spend_since(const std::string& tenant,
                                                      const std::string& key_id,
                                                      std::chrono::system_clock::time_point since,
                                                      std::string& error) {
  const char* sql = key_id.empty()
                        ? "SELECT TOTAL(cost_usd) FROM usage WHERE finished_at_ms >= ?1 AND tenant = ?2"
                        : "SELECT TOTAL(cost_usd) FROM usage WHERE finished_at_ms >= ?1 AND tenant = ?2 "
                          "AND key_id = ?3";
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK) {
    error = "usage store: cannot read spend: " + message_of(db_);
    return std::nullopt;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(since.time_since_epoch()).count();
  sqlite3_bind_int64(s, 1, ms);
  bind_text(s, 2, tenant);
  if (!key_id.empty()) bind_text(s, 3, key_id);
  std::optional<double> total;
  if (sqlite3_step(s) == SQLITE_ROW)
    total = sqlite3_column_double(s, 0);
  else
    error = "usage store: cannot read spend: " + message_of(db_);
  sqlite3_finalize(s);
  return total;
}

}  // namespace switchyard::runtime

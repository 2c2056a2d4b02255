// SQLite admin tables (see sqlite_admin_store.hpp). Statements are prepared per call: admin changes
// are rare, and a statement that lives only for its call cannot be left half-stepped by an error
// path.
#include "runtime/sqlite_admin_store.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

namespace switchyard::runtime {

namespace {

// Version 1: tenants, keys (digest + prefix only) and the audit log.
constexpr const char* schema_v1 = R"sql(
CREATE TABLE IF NOT EXISTS tenants (
  name          TEXT    PRIMARY KEY,
  spec          TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS keys (
  id            TEXT    PRIMARY KEY,
  tenant        TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  prefix        TEXT    NOT NULL,
  hash          TEXT    NOT NULL UNIQUE,
  created_at_ms INTEGER NOT NULL,
  expires_at_ms INTEGER,
  revoked_at_ms INTEGER,
  spec          TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS keys_tenant ON keys (tenant);
CREATE TABLE IF NOT EXISTS audit_log (
  id     INTEGER PRIMARY KEY,
  at_ms  INTEGER NOT NULL,
  actor  TEXT    NOT NULL,
  action TEXT    NOT NULL,
  target TEXT    NOT NULL,
  before TEXT    NOT NULL,
  after  TEXT    NOT NULL
);
PRAGMA user_version = 1;
)sql";

std::string message_of(sqlite3* db) {
  return db != nullptr ? sqlite3_errmsg(db) : "out of memory";
}

// One prepared statement, finalized on scope exit.
class statement {
 public:
  statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) s_ = nullptr;
  }
  ~statement() { sqlite3_finalize(s_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  bool ok(std::string& error) const {
    if (s_ == nullptr) error = message_of(db_);
    return s_ != nullptr;
  }
  void bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
  void bind(int i, const std::optional<std::int64_t>& v) {
    if (v)
      sqlite3_bind_int64(s_, i, *v);
    else
      sqlite3_bind_null(s_, i);
  }
  /// SQLITE_ROW, SQLITE_DONE or an error code (then `error` is set).
  int step(std::string& error) {
    int rc = sqlite3_step(s_);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) error = message_of(db_);
    return rc;
  }
  /// Runs a statement that returns no rows.
  bool run(std::string& error) { return step(error) == SQLITE_DONE; }

  std::string text(int i) const {
    const auto* t = sqlite3_column_text(s_, i);
    return t != nullptr ? std::string{reinterpret_cast<const char*>(t),
                                      static_cast<std::size_t>(sqlite3_column_bytes(s_, i))}
                        : std::string{};
  }
  std::int64_t int64(int i) const { return sqlite3_column_int64(s_, i); }
  double real(int i) const { return sqlite3_column_double(s_, i); }
  std::optional<std::int64_t> opt_int64(int i) const {
    if (sqlite3_column_type(s_, i) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s_, i);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

stored_tenant read_tenant(const statement& s) {
  return stored_tenant{s.text(0), s.text(1), s.int64(2), s.int64(3)};
}

constexpr const char* key_columns =
    "id, tenant, name, prefix, hash, created_at_ms, expires_at_ms, revoked_at_ms, spec";

stored_key read_key(const statement& s) {
  stored_key k;
  k.id = s.text(0);
  k.tenant = s.text(1);
  k.name = s.text(2);
  k.prefix = s.text(3);
  k.hash = s.text(4);
  k.created_at_ms = s.int64(5);
  k.expires_at_ms = s.opt_int64(6);
  k.revoked_at_ms = s.opt_int64(7);
  k.spec = s.text(8);
  return k;
}

// Runs `s` to the end, appending `read(s)` for each row.
template <class T, class Read>
bool collect(statement& s, std::vector<T>& out, Read read, std::string& error) {
  for (;;) {
    int rc = s.step(error);
    if (rc == SQLITE_DONE) return true;
    if (rc != SQLITE_ROW) return false;
    out.push_back(read(s));
  }
}

// The grouping expression of each `usage_group`: a fixed whitelist, never client text.
const char* group_expression(usage_group by) {
  switch (by) {
    case usage_group::tenant:
      return "tenant";
    case usage_group::key:
      return "key_id";
    case usage_group::model:
      return "model";
    case usage_group::provider:
      return "provider";
    case usage_group::day:
      return "strftime('%Y-%m-%d', finished_at_ms / 1000, 'unixepoch')";
  }
  return "tenant";
}

}  // namespace

std::unique_ptr<admin_store> admin_store::open(const std::string& path, std::string& error) {
  return sqlite_admin_store::open(path, error);
}

std::unique_ptr<sqlite_admin_store> sqlite_admin_store::open(const std::string& path,
                                                             std::string& error) {
  const std::string where = "admin store " + path + ": ";
  std::error_code ec;
  const auto dir = std::filesystem::path{path}.parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = where + "cannot create its directory: " + ec.message();
    return nullptr;
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    error = where + message_of(db);
    sqlite3_close(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 5'000);
  std::unique_ptr<sqlite_admin_store> store{new sqlite_admin_store(db)};
  if (!store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", error)) {
    error = where + error;
    return nullptr;
  }
  statement version{db, "PRAGMA user_version"};
  if (!version.ok(error) || version.step(error) != SQLITE_ROW) {
    error = where + error;
    return nullptr;
  }
  const auto found = version.int64(0);
  if (found > schema_version) {
    error = where + "its schema version " + std::to_string(found) +
            " is newer than this build's (" + std::to_string(schema_version) +
            "); use a newer switchyard";
    return nullptr;
  }
  // Each version's migration runs in one transaction, so a crash never leaves half a schema.
  if (found < 1) {
    transaction tx{*store};
    if (!tx.started(error) || !store->exec(schema_v1, error) || !tx.commit(error)) {
      error = where + "cannot create the admin tables: " + error;
      return nullptr;
    }
  }
  return store;
}

sqlite_admin_store::~sqlite_admin_store() {
  sqlite3_close(db_);
}

bool sqlite_admin_store::exec(const char* sql, std::string& error) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  error = msg != nullptr ? msg : message_of(db_);
  sqlite3_free(msg);
  return false;
}

bool sqlite_admin_store::begin_transaction(std::string& error) {
  return exec("BEGIN IMMEDIATE", error);
}

bool sqlite_admin_store::commit_transaction(std::string& error) {
  return exec("COMMIT", error);
}

void sqlite_admin_store::rollback_transaction() {
  std::string ignored;
  exec("ROLLBACK", ignored);
}

bool sqlite_admin_store::tenants(std::vector<stored_tenant>& out, std::string& error) {
  statement s{db_, "SELECT name, spec, created_at_ms, updated_at_ms FROM tenants ORDER BY name"};
  return s.ok(error) && collect(s, out, read_tenant, error);
}

bool sqlite_admin_store::find_tenant(const std::string& name, std::optional<stored_tenant>& out,
                                     std::string& error) {
  statement s{db_, "SELECT name, spec, created_at_ms, updated_at_ms FROM tenants WHERE name = ?1"};
  if (!s.ok(error)) return false;
  s.bind(1, name);
  int rc = s.step(error);
  if (rc == SQLITE_ROW) out = read_tenant(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

bool sqlite_admin_store::insert_tenant(const stored_tenant& t, std::string& error) {
  statement s{
      db_, "INSERT INTO tenants (name, spec, created_at_ms, updated_at_ms) VALUES (?1,?2,?3,?4)"};
  if (!s.ok(error)) return false;
  s.bind(1, t.name);
  s.bind(2, t.spec);
  s.bind(3, t.created_at_ms);
  s.bind(4, t.updated_at_ms);
  return s.run(error);
}

bool sqlite_admin_store::update_tenant(const std::string& name, const std::string& spec,
                                       std::int64_t now_ms, std::string& error) {
  statement s{db_, "UPDATE tenants SET spec = ?2, updated_at_ms = ?3 WHERE name = ?1"};
  if (!s.ok(error)) return false;
  s.bind(1, name);
  s.bind(2, spec);
  s.bind(3, now_ms);
  return s.run(error);
}

bool sqlite_admin_store::delete_tenant(const std::string& name, std::string& error) {
  statement s{db_, "DELETE FROM tenants WHERE name = ?1"};
  if (!s.ok(error)) return false;
  s.bind(1, name);
  return s.run(error);
}

bool sqlite_admin_store::keys(const std::string& tenant, std::vector<stored_key>& out,
                              std::string& error) {
  const std::string sql = std::string{"SELECT "} + key_columns + " FROM keys" +
                          (tenant.empty() ? "" : " WHERE tenant = ?1") +
                          " ORDER BY created_at_ms, id";
  statement s{db_, sql.c_str()};
  if (!s.ok(error)) return false;
  if (!tenant.empty()) s.bind(1, tenant);
  return collect(s, out, read_key, error);
}

bool sqlite_admin_store::find_key(const std::string& id, std::optional<stored_key>& out,
                                  std::string& error) {
  const std::string sql = std::string{"SELECT "} + key_columns + " FROM keys WHERE id = ?1";
  statement s{db_, sql.c_str()};
  if (!s.ok(error)) return false;
  s.bind(1, id);
  int rc = s.step(error);
  if (rc == SQLITE_ROW) out = read_key(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

bool sqlite_admin_store::insert_key(const stored_key& k, std::string& error) {
  const std::string sql =
      std::string{"INSERT INTO keys ("} + key_columns + ") VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)";
  statement s{db_, sql.c_str()};
  if (!s.ok(error)) return false;
  s.bind(1, k.id);
  s.bind(2, k.tenant);
  s.bind(3, k.name);
  s.bind(4, k.prefix);
  s.bind(5, k.hash);
  s.bind(6, k.created_at_ms);
  s.bind(7, k.expires_at_ms);
  s.bind(8, k.revoked_at_ms);
  s.bind(9, k.spec);
  return s.run(error);
}

bool sqlite_admin_store::revoke_key(const std::string& id, std::int64_t now_ms,
                                    std::string& error) {
  statement s{db_, "UPDATE keys SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL"};
  if (!s.ok(error)) return false;
  s.bind(1, id);
  s.bind(2, now_ms);
  return s.run(error);
}

bool sqlite_admin_store::revoke_tenant_keys(const std::string& tenant, std::int64_t now_ms,
                                            std::string& error) {
  statement s{db_,
              "UPDATE keys SET revoked_at_ms = ?2 WHERE tenant = ?1 AND revoked_at_ms IS NULL"};
  if (!s.ok(error)) return false;
  s.bind(1, tenant);
  s.bind(2, now_ms);
  return s.run(error);
}

bool sqlite_admin_store::set_key_expiry(const std::string& id, std::optional<std::int64_t> at_ms,
                                        std::string& error) {
  statement s{db_, "UPDATE keys SET expires_at_ms = ?2 WHERE id = ?1"};
  if (!s.ok(error)) return false;
  s.bind(1, id);
  s.bind(2, at_ms);
  return s.run(error);
}

bool sqlite_admin_store::append_audit(const audit_entry& e, std::string& error) {
  statement s{db_,
              "INSERT INTO audit_log (at_ms, actor, action, target, before, after) "
              "VALUES (?1,?2,?3,?4,?5,?6)"};
  if (!s.ok(error)) return false;
  s.bind(1, e.at_ms);
  s.bind(2, e.actor);
  s.bind(3, e.action);
  s.bind(4, e.target);
  s.bind(5, e.before);
  s.bind(6, e.after);
  return s.run(error);
}

bool sqlite_admin_store::audit(std::int64_t before_id, std::size_t limit,
                               std::vector<audit_entry>& out, std::string& error) {
  statement s{db_,
              "SELECT id, at_ms, actor, action, target, before, after FROM audit_log "
              "WHERE ?1 = 0 OR id < ?1 ORDER BY id DESC LIMIT ?2"};
  if (!s.ok(error)) return false;
  s.bind(1, before_id);
  s.bind(2, static_cast<std::int64_t>(limit));
  return collect(
      s, out,
      [](const statement& r) {
        return audit_entry{r.int64(0), r.int64(1), r.text(2), r.text(3),
                           r.text(4),  r.text(5),  r.text(6)};
      },
      error);
}

bool sqlite_admin_store::usage_totals(std::int64_t from_ms, std::int64_t to_ms, usage_group by,
                                      std::vector<usage_total>& out, std::string& error) {
  {
    statement exists{db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage'"};
    if (!exists.ok(error)) return false;
    int rc = exists.step(error);
    if (rc == SQLITE_DONE) return true;
    if (rc != SQLITE_ROW) return false;
  }
  const std::string sql =
      std::string{"SELECT "} + group_expression(by) +
      " AS grp, MAX(key_prefix), COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), "
      "SUM(cached_tokens), SUM(cost_usd) FROM usage WHERE finished_at_ms >= ?1 AND "
      "finished_at_ms < ?2 GROUP BY grp ORDER BY grp";
  statement s{db_, sql.c_str()};
  if (!s.ok(error)) return false;
  s.bind(1, from_ms);
  s.bind(2, to_ms);
  return collect(
      s, out,
      [by](const statement& r) {
        usage_total t;
        t.group = r.text(0);
        if (by == usage_group::key) t.key_prefix = r.text(1);
        t.requests = static_cast<std::uint64_t>(r.int64(2));
        t.prompt_tokens = static_cast<std::uint64_t>(r.int64(3));
        t.completion_tokens = static_cast<std::uint64_t>(r.int64(4));
        t.cached_tokens = static_cast<std::uint64_t>(r.int64(5));
        t.cost_usd = r.real(6);
        return t;
      },
      error);
}

bool sqlite_admin_store::spend_since(const std::string& tenant, const std::string& key_id,
                                     std::int64_t since_ms, double& out, std::string& error) {
  out = 0;
  {
    statement exists{db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage'"};
    if (!exists.ok(error)) return false;
    int rc = exists.step(error);
    if (rc == SQLITE_DONE) return true;
    if (rc != SQLITE_ROW) return false;
  }
  statement s{db_,
              "SELECT TOTAL(cost_usd) FROM usage WHERE finished_at_ms >= ?1 AND tenant = ?2 AND "
              "(?3 = '' OR key_id = ?3)"};
  if (!s.ok(error)) return false;
  s.bind(1, since_ms);
  s.bind(2, tenant);
  s.bind(3, key_id);
  if (s.step(error) != SQLITE_ROW) return false;
  out = s.real(0);
  return true;
}

}  // namespace switchyard::runtime

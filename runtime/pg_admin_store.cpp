// PostgreSQL admin tables (see pg_admin_store.hpp). The same statements as the SQLite store, in
// PostgreSQL's dialect; values are always bound as parameters.
#include "runtime/pg_admin_store.hpp"

#include "runtime/pg_schema.hpp"
#include "runtime/pg_usage_store.hpp"

namespace switchyard::runtime {

namespace {

// The advisory lock that serializes admin changes ("swya"; migrations use another key). A change
// waits at most 5 s for another node's to end (then answers 503), not for ever behind a node
// that stalled mid-change.
constexpr const char* admin_lock =
    "SET LOCAL lock_timeout = '5s'; SELECT pg_advisory_xact_lock(1937209697)";

constexpr const char* key_columns =
    "id, tenant, name, prefix, hash, created_at_ms, expires_at_ms, revoked_at_ms, spec";

std::optional<std::int64_t> opt_int64(const pg_rows& rows, int row, int col) {
  if (rows.is_null(row, col)) return std::nullopt;
  return rows.int64(row, col);
}

pg_param opt_param(const std::optional<std::int64_t>& v) {
  if (!v) return std::nullopt;
  return std::to_string(*v);
}

stored_tenant read_tenant(const pg_rows& rows, int r) {
  return stored_tenant{rows.text(r, 0), rows.text(r, 1), rows.int64(r, 2), rows.int64(r, 3)};
}

stored_key read_key(const pg_rows& rows, int r) {
  stored_key k;
  k.id = rows.text(r, 0);
  k.tenant = rows.text(r, 1);
  k.name = rows.text(r, 2);
  k.prefix = rows.text(r, 3);
  k.hash = rows.text(r, 4);
  k.created_at_ms = rows.int64(r, 5);
  k.expires_at_ms = opt_int64(rows, r, 6);
  k.revoked_at_ms = opt_int64(rows, r, 7);
  k.spec = rows.text(r, 8);
  return k;
}

// The grouping expression of each `usage_group`: a fixed whitelist, never client text. Days are
// UTC, as in the SQLite store.
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
      return "to_char(to_timestamp(finished_at_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
  }
  return "tenant";
}

}  // namespace

std::unique_ptr<pg_admin_store> pg_admin_store::open(const std::string& url, std::string origin,
                                                     std::string& error) {
  auto conn = pg_connection::open(url, error);
  if (!conn || !migrate_pg_schema(*conn, error)) {
    error = "admin store: " + error;
    return nullptr;
  }
  return std::unique_ptr<pg_admin_store>(new pg_admin_store(std::move(conn), std::move(origin)));
}

bool pg_admin_store::begin_transaction(std::string& error) {
  if (!conn_->begin(error)) return false;
  // Admin changes read, then write (a name is free, then taken): one at a time across every
  // node and CLI, as SQLite's BEGIN IMMEDIATE makes them, so two nodes creating the same tenant
  // give one 201 and one 409, not a constraint error.
  if (conn_->run(admin_lock, error)) return true;
  conn_->rollback();
  return false;
}

bool pg_admin_store::commit_transaction(std::string& error) {
  // On failure the transaction's destructor rolls back.
  return conn_->run("SELECT pg_notify($1, $2)", {std::string{admin_channel}, origin_}, error) &&
         conn_->commit(error);
}

void pg_admin_store::rollback_transaction() {
  conn_->rollback();
}

bool pg_admin_store::tenants(std::vector<stored_tenant>& out, std::string& error) {
  auto rows = conn_->query(
      "SELECT name, spec, created_at_ms, updated_at_ms FROM tenants ORDER BY name", {}, error);
  if (!rows) return false;
  for (int r = 0; r < rows->size(); ++r) out.push_back(read_tenant(*rows, r));
  return true;
}

bool pg_admin_store::find_tenant(const std::string& name, std::optional<stored_tenant>& out,
                                 std::string& error) {
  auto rows =
      conn_->query("SELECT name, spec, created_at_ms, updated_at_ms FROM tenants WHERE name = $1",
                   {name}, error);
  if (!rows) return false;
  if (rows->size() > 0) out = read_tenant(*rows, 0);
  return true;
}

bool pg_admin_store::insert_tenant(const stored_tenant& t, std::string& error) {
  return conn_->run(
      "INSERT INTO tenants (name, spec, created_at_ms, updated_at_ms) VALUES ($1,$2,$3,$4)",
      {t.name, t.spec, std::to_string(t.created_at_ms), std::to_string(t.updated_at_ms)}, error);
}

bool pg_admin_store::update_tenant(const std::string& name, const std::string& spec,
                                   std::int64_t now_ms, std::string& error) {
  return conn_->run("UPDATE tenants SET spec = $2, updated_at_ms = $3 WHERE name = $1",
                    {name, spec, std::to_string(now_ms)}, error);
}

bool pg_admin_store::delete_tenant(const std::string& name, std::string& error) {
  return conn_->run("DELETE FROM tenants WHERE name = $1", {name}, error);
}

bool pg_admin_store::keys(const std::string& tenant, std::vector<stored_key>& out,
                          std::string& error) {
  const std::string sql = std::string{"SELECT "} + key_columns + " FROM keys" +
                          (tenant.empty() ? "" : " WHERE tenant = $1") +
                          " ORDER BY created_at_ms, id";
  auto rows = tenant.empty() ? conn_->query(sql, {}, error) : conn_->query(sql, {tenant}, error);
  if (!rows) return false;
  for (int r = 0; r < rows->size(); ++r) out.push_back(read_key(*rows, r));
  return true;
}

bool pg_admin_store::find_key(const std::string& id, std::optional<stored_key>& out,
                              std::string& error) {
  auto rows =
      conn_->query(std::string{"SELECT "} + key_columns + " FROM keys WHERE id = $1", {id}, error);
  if (!rows) return false;
  if (rows->size() > 0) out = read_key(*rows, 0);
  return true;
}

bool pg_admin_store::insert_key(const stored_key& k, std::string& error) {
  return conn_->run(
      std::string{"INSERT INTO keys ("} + key_columns + ") VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
      {k.id, k.tenant, k.name, k.prefix, k.hash, std::to_string(k.created_at_ms),
       opt_param(k.expires_at_ms), opt_param(k.revoked_at_ms), k.spec},
      error);
}

bool pg_admin_store::revoke_key(const std::string& id, std::int64_t now_ms, std::string& error) {
  return conn_->run("UPDATE keys SET revoked_at_ms = $2 WHERE id = $1 AND revoked_at_ms IS NULL",
                    {id, std::to_string(now_ms)}, error);
}

bool pg_admin_store::revoke_tenant_keys(const std::string& tenant, std::int64_t now_ms,
                                        std::string& error) {
  return conn_->run(
      "UPDATE keys SET revoked_at_ms = $2 WHERE tenant = $1 AND revoked_at_ms IS NULL",
      {tenant, std::to_string(now_ms)}, error);
}

bool pg_admin_store::set_key_expiry(const std::string& id, std::optional<std::int64_t> at_ms,
                                    std::string& error) {
  return conn_->run("UPDATE keys SET expires_at_ms = $2 WHERE id = $1", {id, opt_param(at_ms)},
                    error);
}

bool pg_admin_store::append_audit(const audit_entry& e, std::string& error) {
  return conn_->run(
      "INSERT INTO audit_log (at_ms, actor, action, target, before, after) "
      "VALUES ($1,$2,$3,$4,$5,$6)",
      {std::to_string(e.at_ms), e.actor, e.action, e.target, e.before, e.after}, error);
}

bool pg_admin_store::audit(std::int64_t before_id, std::size_t limit, std::vector<audit_entry>& out,
                           std::string& error) {
  auto rows = conn_->query(
      "SELECT id, at_ms, actor, action, target, before, after FROM audit_log "
      "WHERE $1::bigint = 0 OR id < $1::bigint ORDER BY id DESC LIMIT $2::bigint",
      {std::to_string(before_id), std::to_string(limit)}, error);
  if (!rows) return false;
  for (int r = 0; r < rows->size(); ++r)
    out.push_back(audit_entry{rows->int64(r, 0), rows->int64(r, 1), rows->text(r, 2),
                              rows->text(r, 3), rows->text(r, 4), rows->text(r, 5),
                              rows->text(r, 6)});
  return true;
}

bool pg_admin_store::usage_totals(std::int64_t from_ms, std::int64_t to_ms, usage_group by,
                                  std::vector<usage_total>& out, std::string& error) {
  const std::string sql =
      std::string{"SELECT "} + group_expression(by) +
      " AS grp, MAX(key_prefix), COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), "
      "SUM(cached_tokens), SUM(cost_usd) FROM usage WHERE finished_at_ms >= $1 AND "
      "finished_at_ms < $2 GROUP BY grp ORDER BY grp";
  auto rows = conn_->query(sql, {std::to_string(from_ms), std::to_string(to_ms)}, error);
  if (!rows) return false;
  for (int r = 0; r < rows->size(); ++r) {
    usage_total t;
    t.group = rows->text(r, 0);
    if (by == usage_group::key) t.key_prefix = rows->text(r, 1);
    t.requests = static_cast<std::uint64_t>(rows->int64(r, 2));
    t.prompt_tokens = static_cast<std::uint64_t>(rows->int64(r, 3));
    t.completion_tokens = static_cast<std::uint64_t>(rows->int64(r, 4));
    t.cached_tokens = static_cast<std::uint64_t>(rows->int64(r, 5));
    t.cost_usd = rows->real(r, 6);
    out.push_back(std::move(t));
  }
  return true;
}

bool pg_admin_store::spend_since(const std::string& tenant, const std::string& key_id,
                                 std::int64_t since_ms, double& out, std::string& error) {
  auto spent = pg_spend_since(*conn_, tenant, key_id, since_ms, error);
  out = spent.value_or(0);
  return spent.has_value();
}

}  // namespace switchyard::runtime

// PostgreSQL migrations (see pg_schema.hpp). A step, once released, never changes: a new column
// or index is a new step.
#include "runtime/pg_schema.hpp"

#include <array>

namespace switchyard::runtime {

namespace {

// The key of the advisory lock that serializes migrations across nodes ("swyd" in ASCII).
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(1937209700)";

struct migration {
  int version;
  const char* sql;
};

// Times are milliseconds since the Unix epoch, as in the SQLite store; the reporting queries
// filter on them by tenant, key or alone, and /v1/generation finds a record by request id.
constexpr std::array<migration, 1> migrations{{
    {1, R"sql(
CREATE TABLE usage (
  id                    BIGSERIAL        PRIMARY KEY,
  record_id             TEXT             NOT NULL UNIQUE,
  request_id            TEXT             NOT NULL,
  finished_at_ms        BIGINT           NOT NULL,
  tenant                TEXT             NOT NULL,
  key_prefix            TEXT             NOT NULL,
  key_id                TEXT             NOT NULL,
  route                 TEXT             NOT NULL,
  model                 TEXT             NOT NULL,
  provider              TEXT             NOT NULL,
  upstream_model        TEXT             NOT NULL,
  stream                BOOLEAN          NOT NULL,
  status                INTEGER          NOT NULL,
  stream_broken         BOOLEAN          NOT NULL,
  client_gone           BOOLEAN          NOT NULL,
  attempts              INTEGER          NOT NULL,
  prompt_tokens         BIGINT           NOT NULL,
  completion_tokens     BIGINT           NOT NULL,
  cached_tokens         BIGINT           NOT NULL,
  cache_creation_tokens BIGINT           NOT NULL,
  reasoning_tokens      BIGINT           NOT NULL,
  usage_reported        BOOLEAN          NOT NULL,
  cost_usd              DOUBLE PRECISION NOT NULL,
  duration_us           BIGINT           NOT NULL,
  ttfb_us               BIGINT           NOT NULL,
  error                 TEXT             NOT NULL,
  hedged                BOOLEAN          NOT NULL
);
CREATE INDEX usage_finished_at ON usage (finished_at_ms);
CREATE INDEX usage_tenant_finished_at ON usage (tenant, finished_at_ms);
CREATE INDEX usage_key_finished_at ON usage (key_id, finished_at_ms);
CREATE INDEX usage_request_id ON usage (request_id);
CREATE TABLE tenants (
  name          TEXT   PRIMARY KEY,
  spec          TEXT   NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE TABLE keys (
  id            TEXT   PRIMARY KEY,
  tenant        TEXT   NOT NULL,
  name          TEXT   NOT NULL,
  prefix        TEXT   NOT NULL,
  hash          TEXT   NOT NULL UNIQUE,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT,
  revoked_at_ms BIGINT,
  spec          TEXT   NOT NULL DEFAULT '{}'
);
CREATE INDEX keys_tenant ON keys (tenant);
CREATE TABLE audit_log (
  id     BIGSERIAL PRIMARY KEY,
  at_ms  BIGINT    NOT NULL,
  actor  TEXT      NOT NULL,
  action TEXT      NOT NULL,
  target TEXT      NOT NULL,
  before TEXT      NOT NULL,
  after  TEXT      NOT NULL
);
)sql"},
}};

}  // namespace

int pg_schema_version() {
  return migrations.back().version;
}

bool migrate_pg_schema(pg_connection& conn, std::string& error) {
  pg_transaction tx{conn};
  if (!tx.started(error) || !conn.run(migration_lock, error) ||
      !conn.run("CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                error))
    return false;
  auto current = conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}, error);
  if (!current) return false;
  const auto found = current->int64(0, 0);
  if (found > pg_schema_version()) {
    error = "the database schema is at version " + std::to_string(found) +
            ", newer than this build's (" + std::to_string(pg_schema_version()) +
            "); use a newer switchyard";
    return false;
  }
  for (const auto& m : migrations) {
    if (m.version <= found) continue;
    if (!conn.run(m.sql, error) || !conn.run("INSERT INTO schema_migrations (version) VALUES ($1)",
                                             {std::to_string(m.version)}, error)) {
      error = "schema migration " + std::to_string(m.version) + " failed: " + error;
      return false;
    }
  }
  return tx.commit(error);
}

}  // namespace switchyard::runtime

// The PostgreSQL schema of `storage: postgres://…` (usage records, tenants, keys, audit log) as
// an ordered list of versioned migrations, applied at start. Every node of a cluster runs them:
// the whole run holds a transaction-scoped advisory lock, so nodes starting together apply each
// step once, and a node that finds the schema current changes nothing.
#pragma once

#include <string>

#include "runtime/pg_connection.hpp"

namespace switchyard::runtime {

/// The newest schema version this build knows.
int pg_schema_version();

/// Brings the database to `pg_schema_version()` in one transaction. False with a log-safe
/// `error` when the server fails or the database has a newer schema than this build knows (then
/// nothing is changed).
bool migrate_pg_schema(pg_connection& conn, std::string& error);

}  // namespace switchyard::runtime

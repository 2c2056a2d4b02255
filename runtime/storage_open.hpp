// Opening the stores a `storage:` URL names: SQLite (sqlite://PATH, the embedded default) or
// PostgreSQL (postgres://…, shared by the nodes of a cluster). Used by the gateway and by the
// offline `switchyard admin` CLI, so both always agree on where things are.
#pragma once

#include <memory>
#include <string>

#include "actors/ports/usage_store.hpp"
#include "protocols/result.hpp"
#include "runtime/admin_store.hpp"

namespace switchyard::runtime {

/// The usage store of `storage`; a log-safe error when it cannot be opened (for PostgreSQL: the
/// server is unreachable or refused the schema migration).
protocols::result<std::shared_ptr<actors::usage_store>, std::string> open_usage_store(
    const std::string& storage);

/// The admin store of `storage`. `origin` names who makes the changes in PostgreSQL's change
/// announcements (see pg_admin_store.hpp). Null with a log-safe `error`.
std::unique_ptr<admin_store> open_admin_store(const std::string& storage, const std::string& origin,
                                              std::string& error);

/// This process among the nodes sharing a database: "HOSTNAME-PID-RANDOM", the same for the
/// process's whole life.
std::string node_origin();

}  // namespace switchyard::runtime

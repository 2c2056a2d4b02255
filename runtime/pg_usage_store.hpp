// The cluster usage store: usage records in PostgreSQL (`storage: postgres://…`), the same
// columns and semantics as the SQLite store plus `record_id`, the idempotency key: a batch
// written again (a retry after an unclear failure, a replayed spool) inserts each record once.
// Used from the usage writer's thread only; its connection is re-established on the next call
// after a failure, so the store recovers by itself once the server is back.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "actors/ports/usage_store.hpp"
#include "runtime/pg_connection.hpp"

namespace switchyard::runtime {

class pg_usage_store final : public actors::usage_store {
 public:
  /// Most records in one INSERT statement (PostgreSQL binds at most 65535 parameters); larger
  /// batches take several statements in the same transaction.
  static constexpr std::size_t rows_per_statement = 1000;

  /// Connects to `url` and brings the schema up to date. Null with a log-safe `error`.
  static std::shared_ptr<pg_usage_store> open(const std::string& url, std::string& error);

  bool append(std::span<const actors::request_record> records, std::string& error) override;
  std::optional<actors::request_record> find(const std::string& request_id,
                                             const std::string& key_id,
                                             std::string& error) override;
  std::optional<double> spend_since(const std::string& tenant, const std::string& key_id,
                                    std::chrono::system_clock::time_point since,
                                    std::string& error) override;

  /// True while the last operation reached the server (read by the metrics exporter, any
  /// thread).
  const std::atomic<bool>& up() const noexcept { return up_; }

 private:
  explicit pg_usage_store(std::unique_ptr<pg_connection> conn) : conn_(std::move(conn)) {}
  /// Records the outcome of one operation in `up_` and passes it on.
  bool note(bool ok);

  std::unique_ptr<pg_connection> conn_;
  std::atomic<bool> up_{true};
};

/// The cost of `tenant`'s usage records (of key `key_id` only, unless empty) finished at or after
/// `since_ms`; nullopt with `error` when the query failed. Shared by both PostgreSQL stores.
std::optional<double> pg_spend_since(pg_connection& conn, const std::string& tenant,
                                     const std::string& key_id, std::int64_t since_ms,
                                     std::string& error);

}  // namespace switchyard::runtime

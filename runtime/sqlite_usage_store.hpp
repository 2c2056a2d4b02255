// The embedded usage store: one SQLite database file in WAL mode, a `usage` table with one row
// per finished request. Used from the usage writer's thread only.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "actors/ports/usage_store.hpp"
#include "protocols/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace switchyard::runtime {

class sqlite_usage_store final : public actors::usage_store {
 public:
  /// Opens (creating it and its directory if needed) the database at `path` and its schema.
  /// The error is log-safe.
  static protocols::result<std::shared_ptr<sqlite_usage_store>, std::string> open(
      const std::string& path);

  ~sqlite_usage_store() override;
  sqlite_usage_store(const sqlite_usage_store&) = delete;
  sqlite_usage_store& operator=(const sqlite_usage_store&) = delete;

  bool append(std::span<const actors::request_record> records, std::string& error) override;
  std::optional<actors::request_record> find(const std::string& request_id,
                                             const std::string& key_id,
                                             std::string& error) override;
  std::optional<double> spend_since(const std::string& tenant, const std::string& key_id,
                                    std::chrono::system_clock::time_point since,
                                    std::string& error) override;

 private:
  sqlite_usage_store(sqlite3* db, sqlite3_stmt* insert, sqlite3_stmt* find)
      : db_(db), insert_(insert), find_(find) {}

  sqlite3* db_;
  sqlite3_stmt* insert_;
  sqlite3_stmt* find_;
};

/// The file path of a `sqlite://PATH` storage URL ("sqlite:///abs" is absolute, "sqlite://rel"
/// relative to the working directory); empty for any other scheme.
std::string sqlite_path_of(const std::string& storage_url);

}  // namespace switchyard::runtime

// Port: durable storage of usage records (SQLite in the embedded default, PostgreSQL in a
// cluster). Called only from the usage writer, on its own thread: implementations may block.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

#include "actors/ports/request_observer.hpp"

namespace switchyard::actors {

class usage_store {
 public:
  virtual ~usage_store() = default;
  /// Appends `records` in one transaction: all of them or none. False with `error` (log-safe)
  /// when they could not be stored; the caller keeps them and tries again.
  virtual bool append(std::span<const request_record> records, std::string& error) = 0;

  /// The latest record of `request_id` made with key `key_id` (another key's record is not
  /// found). Nullopt when there is none; also when the store failed, with `error` set.
  virtual std::optional<request_record> find(const std::string& request_id,
                                             const std::string& key_id, std::string& error) = 0;

  /// The sum of `cost_usd` over the records of `tenant` (of its key `key_id` only, when not
  /// empty) that finished at or after `since`: a budget's spend so far in its period, read back
  /// at start. Nullopt with `error` (log-safe) when the store failed or cannot sum.
  virtual std::optional<double> spend_since(const std::string& tenant, const std::string& key_id,
                                            std::chrono::system_clock::time_point since,
                                            std::string& error) {
    (void)tenant, (void)key_id, (void)since;
    error = "this usage store cannot sum spend";
    return std::nullopt;
  }
};

}  // namespace switchyard::actors

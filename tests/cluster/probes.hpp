// What the cluster tests read besides HTTP answers: usage records in PostgreSQL (through psql),
// keys in Redis (through redis-cli), and samples of a node's /metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::ctest {

/// Runs one SQL statement with psql against `url`; the rows, fields separated by '|'. Throws
/// with psql's message on an error.
std::vector<std::string> psql_rows(const std::string& url, const std::string& sql);

/// The usage records of one tenant, as the cluster's tests compare them with client answers.
struct recorded_usage {
  std::size_t records = 0;
  std::size_t distinct_record_ids = 0;  ///< equal to `records` when nothing was stored twice
  double spend_usd = 0;                 ///< sum of cost_usd
  std::map<std::string, std::size_t> per_request;  ///< request id -> records with it
  std::map<std::string, int> status;               ///< request id -> status recorded
};

/// Reads the `usage` table at `url` for `tenant`.
recorded_usage read_usage(const std::string& url, std::string_view tenant);

/// Runs redis-cli against 127.0.0.1:`port` with `args`; its output lines.
std::vector<std::string> redis_cli(std::uint16_t port, const std::vector<std::string>& args);

/// The sum of every sample of metric `name` in a text exposition whose label set contains
/// `labels` (e.g. `tenant="itest"`; empty: all samples). 0 when there is none.
double metric_sum(std::string_view exposition, std::string_view name, std::string_view labels = {});

/// True when the exposition has at least one sample of `name`.
bool has_metric(std::string_view exposition, std::string_view name);

}  // namespace switchyard::ctest

// What the cluster tests read besides HTTP answers: usage records in PostgreSQL and samples of a
// node's /metrics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "postgres_server.hpp"
#include "redis_server.hpp"

namespace switchyard::ctest {

/// The usage records of one tenant, as the cluster's tests compare them with client answers.
struct recorded_usage {
  std::size_t records = 0;
  std::size_t distinct_record_ids = 0;  ///< equal to `records` when nothing was stored twice
  double spend_usd = 0;                 ///< sum of cost_usd
  std::map<std::string, std::size_t> per_request;  ///< request id -> records with it
  std::map<std::string, int> status;               ///< request id -> status recorded
};

/// Reads the `usage` table of `pg` for `tenant`.
recorded_usage read_usage(const itest::postgres_server& pg, std::string_view tenant);

/// The budget leases Redis holds for `tenant` in its current period: node id -> USD leased.
/// Layout of runtime/lease_scripts.cpp: a hash `switchyard:budget:{tenant:<name>:<period
/// start>}:leases`. Throws when the tenant has no lease keys, or keys of several periods.
std::map<std::string, double> budget_leases(const itest::redis_server& redis,
                                            std::string_view tenant);

/// The sum of every sample of metric `name` in a text exposition whose label set has every
/// comma-separated matcher of `labels` (`tenant="itest",status_class="2xx"`, in any order: the
/// exporter sorts labels by name; values without commas; empty: all samples). 0 when none.
double metric_sum(std::string_view exposition, std::string_view name, std::string_view labels = {});

/// True when the exposition has at least one sample of `name`.
bool has_metric(std::string_view exposition, std::string_view name);

}  // namespace switchyard::ctest

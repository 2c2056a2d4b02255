// Checks every cluster test makes after its load: the usage records in PostgreSQL against the
// answers clients saw.
#pragma once

#include <string>
#include <vector>

#include "client_load.hpp"
#include "cluster.hpp"
#include "probes.hpp"

namespace switchyard::ctest {

/// Every 200 a client saw has exactly one record (status 200) under its request id, no record
/// id is stored twice, and there are no more 200 records than 200 answers. Returns the number of
/// 200 answers. Uses Catch2 assertions.
std::size_t check_records_match_answers(const recorded_usage& stored,
                                        const std::vector<answer>& answers);

/// The sum of a metric over every running node of `c` (label filter as in `metric_sum`).
double cluster_metric(cluster& c, std::string_view name, std::string_view labels = {});

}  // namespace switchyard::ctest

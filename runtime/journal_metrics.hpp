// The usage journal's families of GET /metrics (see docs/metrics.md): records waiting on disk,
// records replayed at start, entries that could not be written or read back.
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

#include "actors/ports/usage_journal.hpp"

namespace switchyard::runtime {

/// Appends the `switchyard_usage_spool_records`, `…_replayed_total` and journal error families
/// to `out`; zeros when `stats` is null (no journal).
void add_journal_families(const actors::journal_stats* stats,
                          std::vector<prometheus::MetricFamily>& out);

}  // namespace switchyard::runtime

// The cluster counters' families of GET /metrics (`counters: redis://…` only): Redis operations
// by kind, whether Redis answers, lease waits and holdings, and ejection broadcasts.
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

namespace switchyard::actors {
class gateway;
}

namespace switchyard::runtime {

struct counters_stats;

/// Appends the `switchyard_counters_*` families, and `switchyard_provider_external_ejections_total`
/// for the providers of `gw` (may be null), to `out`.
void add_counters_families(const counters_stats& stats, const actors::gateway* gw,
                           std::vector<prometheus::MetricFamily>& out);

}  // namespace switchyard::runtime

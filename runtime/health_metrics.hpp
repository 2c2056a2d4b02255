// The providers' resilience figures (circuit, ejections, retries, failovers, hedges, upstream
// errors, TTFB estimate) as metric families, read from `provider_stats::health` at scrape time.
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

namespace switchyard::actors {
class gateway;
}

namespace switchyard::runtime {

/// Appends the `switchyard_provider_*` resilience families of `gw` to `out`. Every series exists
/// from the start (a zero counter, not a missing one) so rates and alerts work at once.
void append_health_families(const actors::gateway& gw, std::vector<prometheus::MetricFamily>& out);

}  // namespace switchyard::runtime

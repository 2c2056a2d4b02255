// The tenant budget and rate-limit families of GET /metrics, read from the budget book at scrape
// time. Labelled by tenant only: tenants come from the configuration file or the admin API (an
// administrator's act, bounded like the file), so the series are bounded; key ids never become
// labels.
#pragma once

#include <vector>

#include <prometheus/metric_family.h>

#include "actors/gateway.hpp"

namespace switchyard::runtime {

/// Appends `switchyard_tenant_*` families for every tenant in `gw`'s budget book to `out`.
void add_budget_families(const actors::gateway& gw, std::vector<prometheus::MetricFamily>& out);

}  // namespace switchyard::runtime

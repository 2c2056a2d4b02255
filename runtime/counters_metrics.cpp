// Cluster counters as Prometheus families (see docs/metrics.md).
#include "runtime/counters_metrics.hpp"

#include <string>

#include "actors/gateway.hpp"
#include "runtime/counters_service.hpp"

namespace switchyard::runtime {

namespace {

using prometheus::MetricType;

prometheus::MetricFamily make_family(const char* name, const char* help, MetricType type) {
  prometheus::MetricFamily f;
  f.name = name;
  f.help = help;
  f.type = type;
  return f;
}

void sample(prometheus::MetricFamily& f, double v,
            std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter)
    m.counter.value = v;
  else
    m.gauge.value = v;
  f.metric.push_back(std::move(m));
}

double load(const std::atomic<std::uint64_t>& v) {
  return static_cast<double>(v.load(std::memory_order_relaxed));
}

}  // namespace

void add_counters_families(const counters_stats& stats, const actors::gateway* gw,
                           std::vector<prometheus::MetricFamily>& out) {
  auto ops =
      make_family("switchyard_counters_operations_total",
                  "Redis commands sent by this node, by script or command", MetricType::Counter);
  for (std::size_t i = 0; i < counters_op_count; ++i)
    sample(ops, load(stats.operations[i]), {{"op", to_string(static_cast<counters_op>(i))}});
  out.push_back(std::move(ops));

  auto up = make_family("switchyard_counters_up", "1 when the last exchange with Redis succeeded",
                        MetricType::Gauge);
  sample(up, stats.up.load(std::memory_order_relaxed) ? 1 : 0);
  out.push_back(std::move(up));

  auto waits = make_family("switchyard_counters_lease_waits_total",
                           "Requests that did not fit this node's budget leases and waited for a "
                           "top-up, by outcome",
                           MetricType::Counter);
  sample(waits, load(stats.lease_waits_answered), {{"outcome", "answered"}});
  sample(waits, load(stats.lease_waits_unreachable), {{"outcome", "unreachable"}});
  out.push_back(std::move(waits));

  auto rate_waits = make_family("switchyard_counters_rate_waits_total",
                                "Requests that found no room in this node's slice of a shared "
                                "rate window and waited for a new one, by outcome",
                                MetricType::Counter);
  sample(rate_waits, load(stats.rate_waits_answered), {{"outcome", "answered"}});
  sample(rate_waits, load(stats.rate_waits_unreachable), {{"outcome", "unreachable"}});
  out.push_back(std::move(rate_waits));

  auto held =
      make_family("switchyard_counters_leases_held_usd",
                  "Budget leases this node holds, summed over accounts (USD)", MetricType::Gauge);
  sample(held,
         static_cast<double>(stats.leases_held_micro_usd.load(std::memory_order_relaxed)) / 1e6);
  out.push_back(std::move(held));

  auto accounts =
      make_family("switchyard_counters_leased_accounts",
                  "Tenant and key budgets this node holds a lease of", MetricType::Gauge);
  sample(accounts, static_cast<double>(stats.leased_accounts.load(std::memory_order_relaxed)));
  out.push_back(std::move(accounts));

  auto broadcasts = make_family("switchyard_counters_ejection_broadcasts_total",
                                "Provider ejections published by this node, received from other "
                                "nodes, or refused as malformed",
                                MetricType::Counter);
  sample(broadcasts, load(stats.ejections_published), {{"direction", "published"}});
  sample(broadcasts, load(stats.ejections_received), {{"direction", "received"}});
  sample(broadcasts, load(stats.ejections_malformed), {{"direction", "malformed"}});
  out.push_back(std::move(broadcasts));

  if (gw == nullptr) return;
  auto external = make_family("switchyard_provider_external_ejections_total",
                              "Ejections of the provider applied here because another node "
                              "ejected it",
                              MetricType::Counter);
  for (const auto& s : gw->provider_stats_list())
    sample(external, load(s->health.external_ejections_total), {{"provider", s->name}});
  out.push_back(std::move(external));
}

}  // namespace switchyard::runtime

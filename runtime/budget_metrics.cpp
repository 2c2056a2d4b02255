// Tenant budgets and rejections as Prometheus families (see docs/metrics.md).
#include "runtime/budget_metrics.hpp"

#include <array>
#include <string>

namespace switchyard::runtime {

namespace {

using prometheus::MetricType;

struct family_builder {
  prometheus::MetricFamily f;

  family_builder(const char* name, const char* help, MetricType type) {
    f.name = name;
    f.help = help;
    f.type = type;
  }
  void add(double v, std::vector<prometheus::ClientMetric::Label> labels) {
    prometheus::ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
    f.metric.push_back(std::move(m));
  }
};

}  // namespace

void add_budget_families(const actors::gateway& gw, std::vector<prometheus::MetricFamily>& out) {
  family_builder budget{"switchyard_tenant_budget_usd", "The tenant's budget cap in USD",
                        MetricType::Gauge};
  family_builder spend{"switchyard_tenant_spend_usd",
                       "Cost settled in the tenant budget's current period, in USD",
                       MetricType::Gauge};
  family_builder remaining{"switchyard_tenant_budget_remaining_usd",
                           "Budget left: cap less settled spend less reservations in flight",
                           MetricType::Gauge};
  family_builder near_cap{"switchyard_tenant_budget_near_cap",
                          "1 once spend has reached the budget's soft threshold",
                          MetricType::Gauge};
  family_builder reservations{"switchyard_tenant_reservations",
                              "Requests in flight holding a budget reservation", MetricType::Gauge};
  family_builder rejected{"switchyard_tenant_rejected_total",
                          "Requests refused before dispatch: budget (402), rpm or tpm (429)",
                          MetricType::Counter};
  // The book's index, not the configuration file: tenants created through the admin API have
  // accounts (and limits) too.
  const auto& book = gw.budgets();
  const auto now = book.wall()->now();
  for (const auto& t : book.tenants()) {
    std::vector<prometheus::ClientMetric::Label> l{{"tenant", t.name}};
    if (auto b = t.account->budget(now)) {
      budget.add(b->config.usd, l);
      spend.add(b->spent, l);
      remaining.add(b->remaining, l);
      near_cap.add(b->near_cap ? 1 : 0, l);
      reservations.add(static_cast<double>(b->reservations), l);
    }
    for (std::size_t r = 0; r < actors::limit_reason_count; ++r) {
      rejected.add(static_cast<double>(t.stats->rejected[r].load(std::memory_order_relaxed)),
                   {{"tenant", t.name},
                    {"reason", actors::to_string(static_cast<actors::limit_reason>(r))}});
    }
  }
  for (auto* f : {&budget, &spend, &remaining, &near_cap, &reservations, &rejected})
    out.push_back(std::move(f->f));
}

}  // namespace switchyard::runtime

// Scrape-time export of actors/provider_health.hpp.
#include "runtime/health_metrics.hpp"

#include <cmath>
#include <string>

#include "actors/gateway.hpp"
#include "actors/provider_health.hpp"

namespace switchyard::runtime {

namespace {

using labels = std::vector<prometheus::ClientMetric::Label>;

// One family being filled: its samples carry their type's value field.
struct builder {
  prometheus::MetricFamily family;

  builder(const char* name, const char* help, prometheus::MetricType type) {
    family.name = name;
    family.help = help;
    family.type = type;
  }
  void add(double v, labels l) {
    prometheus::ClientMetric m;
    m.label = std::move(l);
    if (family.type == prometheus::MetricType::Counter)
      m.counter.value = v;
    else
      m.gauge.value = v;
    family.metric.push_back(std::move(m));
  }
};

double value(const std::atomic<std::uint64_t>& a) {
  return static_cast<double>(a.load(std::memory_order_relaxed));
}

// The failures that are the upstream's: not `none`, not the gateway's own cancels and races.
bool is_upstream_error(actors::attempt_failure f) {
  return f != actors::attempt_failure::none && f != actors::attempt_failure::cancelled &&
         f != actors::attempt_failure::lost_race;
}

}  // namespace

void append_health_families(const actors::gateway& gw, std::vector<prometheus::MetricFamily>& out) {
  using prometheus::MetricType;
  builder state{"switchyard_provider_circuit_state",
                "Circuit breaker state: 0 closed, 1 open (ejected), 2 half-open (probing)",
                MetricType::Gauge};
  builder ejections{"switchyard_provider_ejections_total",
                    "Times the circuit breaker ejected the provider", MetricType::Counter};
  builder retries{"switchyard_provider_retries_total",
                  "Same-target retries after a failure of the provider", MetricType::Counter};
  builder failovers{"switchyard_provider_failovers_total",
                    "Requests moved to another target after a failure of the provider",
                    MetricType::Counter};
  builder denied{"switchyard_provider_retries_denied_total",
                 "Re-attempts refused by the provider's retry budget (the client got the error)",
                 MetricType::Counter};
  builder hedges{"switchyard_provider_hedges_total",
                 "Hedged attempts sent to the provider, by outcome (won, lost, throttled)",
                 MetricType::Counter};
  builder errors{"switchyard_provider_upstream_errors_total", "Failed upstream attempts by reason",
                 MetricType::Counter};
  builder ttfb{"switchyard_provider_ttfb_estimate_seconds",
               "Estimated p95 time to first byte (hedging's `after: p95`); NaN until 20 answers",
               MetricType::Gauge};
  for (const auto& p : gw.provider_stats_list()) {
    if (!p) continue;
    const auto& h = p->health;
    const labels l{{"provider", p->name}};
    state.add(static_cast<double>(h.state()), l);
    ejections.add(value(h.ejections_total), l);
    retries.add(value(h.retries_total), l);
    failovers.add(value(h.failovers_total), l);
    denied.add(value(h.retries_denied_total), l);
    for (std::size_t o = 0; o < actors::hedge_outcome_count; ++o) {
      hedges.add(value(h.hedges_total[o]),
                 {{"provider", p->name},
                  {"outcome", actors::to_string(static_cast<actors::hedge_outcome>(o))}});
    }
    for (std::size_t f = 0; f < actors::attempt_failure_count; ++f) {
      const auto failure = static_cast<actors::attempt_failure>(f);
      if (!is_upstream_error(failure)) continue;
      errors.add(value(h.upstream_errors_total[f]),
                 {{"provider", p->name}, {"reason", actors::to_string(failure)}});
    }
    const auto p95 = h.ttfb().p95();
    ttfb.add(p95 ? static_cast<double>(p95->count()) / 1e6 : std::nan(""), l);
  }
  for (auto* b : {&state, &ejections, &retries, &failovers, &denied, &hedges, &errors, &ttfb})
    out.push_back(std::move(b->family));
}

}  // namespace switchyard::runtime

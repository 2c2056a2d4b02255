// The usage journal as Prometheus families (see journal_metrics.hpp).
#include "runtime/journal_metrics.hpp"

namespace switchyard::runtime {

void add_journal_families(const actors::journal_stats* stats,
                          std::vector<prometheus::MetricFamily>& out) {
  using prometheus::MetricType;
  auto add = [&out](const char* name, const char* help, MetricType type, double v) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    prometheus::ClientMetric m;
    (type == MetricType::Counter ? m.counter.value : m.gauge.value) = v;
    f.metric.push_back(std::move(m));
    out.push_back(std::move(f));
  };
  auto read = [stats](auto member) -> double {
    return stats != nullptr ? static_cast<double>((stats->*member).load(std::memory_order_relaxed))
                            : 0.0;
  };
  add("switchyard_usage_spool_records",
      "Usage records in the on-disk journal (server.spool_dir) not yet stored", MetricType::Gauge,
      read(&actors::journal_stats::records));
  add("switchyard_usage_replayed_total",
      "Usage records an earlier run left in the journal, stored at start", MetricType::Counter,
      read(&actors::journal_stats::replayed_total));
  add("switchyard_usage_journal_errors_total",
      "Usage records that could not be written to the journal (kept in memory only)",
      MetricType::Counter, read(&actors::journal_stats::append_errors_total));
  add("switchyard_usage_journal_corrupt_total",
      "Journal entries skipped at start: checksum mismatch or damaged framing", MetricType::Counter,
      read(&actors::journal_stats::corrupt_total));
}

}  // namespace switchyard::runtime

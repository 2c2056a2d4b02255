// What observing one request costs on the actor thread: the metrics exporter's counters and
// histograms, and the access log's line formatting; plus a scrape. The throughput ratio of the
// metrics-cost scenario is noisy on a shared machine; these are per-call figures.
#include <benchmark/benchmark.h>

#include "runtime/access_log.hpp"
#include "runtime/metrics.hpp"

using namespace switchyard;

namespace {

config::snapshot make_config() {
  config::snapshot s;
  for (int p = 0; p < 4; ++p) {
    config::provider_config pc;
    pc.name = "provider-" + std::to_string(p);
    s.providers.push_back(pc);
  }
  for (int m = 0; m < 20; ++m) {
    config::model_config mc;
    mc.name = "model-" + std::to_string(m);
    for (int t = 0; t < 2; ++t) {
      config::target_config tc;
      tc.provider = "provider-" + std::to_string((m + t) % 4);
      tc.model = "upstream";
      mc.targets.push_back(tc);
    }
    s.models.push_back(mc);
  }
  for (int t = 0; t < 10; ++t) {
    config::tenant_config tc;
    tc.name = "tenant-" + std::to_string(t);
    s.tenants.push_back(tc);
  }
  return s;
}

actors::request_record make_record() {
  actors::request_record r;
  r.request_id = "0123456789abcdef0123456789abcdef";
  r.tenant = "tenant-3";
  r.key_prefix = "sk-abcd…";
  r.model = "model-7";
  r.provider = "provider-0";
  r.upstream_model = "upstream";
  r.status = 200;
  r.attempts = 1;
  r.usage.prompt_tokens = 200;
  r.usage.completion_tokens = 16;
  r.cost_usd = 0.00012;
  r.finished_at = std::chrono::system_clock::now();
  r.duration = std::chrono::microseconds{1'800};
  r.time_to_first_byte = std::chrono::microseconds{1'700};
  r.upstream_time = std::chrono::microseconds{1'650};
  return r;
}

void BM_metrics_on_request_done(benchmark::State& state) {
  runtime::metrics m{make_config()};
  auto r = make_record();
  for (auto _ : state) m.on_request_done(r);
}
BENCHMARK(BM_metrics_on_request_done)->Threads(1)->Threads(2);

void BM_access_log_format(benchmark::State& state) {
  auto r = make_record();
  for (auto _ : state) benchmark::DoNotOptimize(runtime::format_access_log_line(r));
}
BENCHMARK(BM_access_log_format);

void BM_metrics_scrape(benchmark::State& state) {
  runtime::metrics m{make_config()};
  m.on_request_done(make_record());
  for (auto _ : state) benchmark::DoNotOptimize(m.scrape());
}
BENCHMARK(BM_metrics_scrape)->Unit(benchmark::kMicrosecond);

}  // namespace

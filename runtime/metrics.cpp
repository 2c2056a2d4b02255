// Metric families and the scrape. Per-request series live in a prometheus-cpp registry; live
// figures (provider admission, request actors, connections) are copied from atomics into metric
// families at scrape time, so their writers never touch Prometheus.
#include "runtime/metrics.hpp"

#include <algorithm>

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <caf/actor_system.hpp>

#include "actors/gateway.hpp"
#include "runtime/access_log.hpp"
#include "runtime/budget_metrics.hpp"
#include "runtime/counters_metrics.hpp"
#include "runtime/health_metrics.hpp"
#include "runtime/ingress_stats.hpp"
#include "runtime/journal_metrics.hpp"
#include "runtime/process_stats.hpp"

#ifndef SWITCHYARD_VERSION
#define SWITCHYARD_VERSION "unknown"
#endif

namespace switchyard::runtime {

namespace {

constexpr std::array<const char*, 3> route_labels{"chat", "embeddings", "messages"};
constexpr std::array<const char*, 3> class_labels{"2xx", "4xx", "5xx"};
constexpr const char* unknown_model = "unknown";

std::size_t route_index(const actors::request_record& r) noexcept {
  if (r.kind == protocols::api_kind::embeddings) return 1;
  return r.client == protocols::dialect::anthropic ? 2 : 0;
}

// Status 0 means the client left before any response: counted as 4xx, like nginx's 499.
std::size_t class_index(unsigned status) noexcept {
  if (status >= 500) return 2;
  if (status >= 400 || status == 0) return 1;
  return 0;
}

double seconds(std::chrono::microseconds us) noexcept {
  return static_cast<double>(us.count()) / 1e6;
}

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_sample(prometheus::MetricFamily& f, double value,
                std::vector<prometheus::ClientMetric::Label> labels = {}) {
  prometheus::ClientMetric m;
  m.label = std::move(labels);
  if (f.type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

// The process collector: CPU, memory, descriptors, start time (nothing when /proc is unreadable).
void add_process_families(std::vector<prometheus::MetricFamily>& families) {
  auto sample = read_process_sample();
  if (!sample) return;
  using prometheus::MetricType;
  auto one = [&](const char* name, const char* help, MetricType type, double v) {
    auto f = family(name, help, type);
    add_sample(f, v);
    families.push_back(std::move(f));
  };
  one("switchyard_process_cpu_seconds_total", "User and system CPU time of the process",
      MetricType::Counter, sample->cpu_seconds);
  one("switchyard_process_resident_memory_bytes", "Resident memory of the process",
      MetricType::Gauge, sample->resident_bytes);
  one("switchyard_process_virtual_memory_bytes", "Virtual memory of the process", MetricType::Gauge,
      sample->virtual_bytes);
  one("switchyard_process_start_time_seconds", "Unix time the process started", MetricType::Gauge,
      sample->start_time_seconds);
  one("switchyard_process_open_fds", "File descriptors open now", MetricType::Gauge,
      sample->open_fds);
  if (sample->max_fds > 0)
    one("switchyard_process_max_fds", "The process's descriptor limit (soft RLIMIT_NOFILE)",
        MetricType::Gauge, sample->max_fds);
}

}  // namespace

// Series of models and providers a reload removed stay registered (a request still finishing may
// count one, and counters must not go back if they return), but leave the exposition.
void metrics::drop_unconfigured(std::vector<prometheus::MetricFamily>& families,
                                const series_set& set) {
  auto gone = [&set](const prometheus::ClientMetric& m) {
    for (const auto& l : m.label) {
      if (l.name == "model" && set.configured_models.count(l.value) == 0) return true;
      if (l.name == "provider" && !l.value.empty() && set.providers.count(l.value) == 0)
        return true;
    }
    return false;
  };
  for (auto& f : families) std::erase_if(f.metric, gone);
}

// The registered families every model's series are added to (at start and at each reload).
struct metrics::families {
  prometheus::Family<prometheus::Counter>* requests = nullptr;
  prometheus::Family<prometheus::Histogram>* duration = nullptr;
  prometheus::Family<prometheus::Histogram>* ttfb = nullptr;
  prometheus::Family<prometheus::Histogram>* overhead = nullptr;
  prometheus::Family<prometheus::Counter>* tokens = nullptr;
  prometheus::Family<prometheus::Counter>* attempts = nullptr;
  prometheus::Family<prometheus::Counter>* cost = nullptr;
  prometheus::Family<prometheus::Counter>* broken = nullptr;
  prometheus::Family<prometheus::Counter>* tenant_requests = nullptr;
};

metrics::metrics(const config::snapshot& config)
    : registry_(std::make_unique<prometheus::Registry>()), families_(std::make_unique<families>()) {
  auto& requests =
      prometheus::BuildCounter()
          .Name("switchyard_requests_total")
          .Help("Finished API requests by model, serving provider, status class and route")
          .Register(*registry_);
  auto& duration = prometheus::BuildHistogram()
                       .Name("switchyard_request_duration_seconds")
                       .Help("Time from a request fully read to its response complete")
                       .Register(*registry_);
  auto& ttfb =
      prometheus::BuildHistogram()
          .Name("switchyard_time_to_first_byte_seconds")
          .Help(
              "Time from a request fully read to the first response byte of the committed attempt")
          .Register(*registry_);
  auto& overhead =
      prometheus::BuildHistogram()
          .Name("switchyard_gateway_overhead_seconds")
          .Help("Request duration minus the time spent on upstream exchanges, by model")
          .Register(*registry_);
  auto& tokens =
      prometheus::BuildCounter()
          .Name("switchyard_tokens_total")
          .Help("Tokens reported by upstreams, by model and direction (cached is part of input)")
          .Register(*registry_);
  auto& tenant_requests = prometheus::BuildCounter()
                              .Name("switchyard_tenant_requests_total")
                              .Help("Finished API requests by tenant and status class")
                              .Register(*registry_);
  auto& attempts = prometheus::BuildCounter()
                       .Name("switchyard_upstream_attempts_total")
                       .Help("Upstream attempts made (failover and hedges included), by model")
                       .Register(*registry_);
  auto& cost = prometheus::BuildCounter()
                   .Name("switchyard_cost_usd_total")
                   .Help("Cost charged to tenants in US dollars, by model")
                   .Register(*registry_);
  auto& broken = prometheus::BuildCounter()
                     .Name("switchyard_streams_broken_total")
                     .Help("Committed streams that ended with an error event, by model")
                     .Register(*registry_);

  families_->requests = &requests;
  families_->duration = &duration;
  families_->ttfb = &ttfb;
  families_->overhead = &overhead;
  families_->tokens = &tokens;
  families_->attempts = &attempts;
  families_->cost = &cost;
  families_->broken = &broken;
  families_->tenant_requests = &tenant_requests;
  series_.store(make_set(config, nullptr), std::memory_order_release);

  for (const auto& tenant : config.tenants) tenants_[tenant.name] = make_tenant_row(tenant.name);
}

metrics::tenant_row metrics::make_tenant_row(const std::string& tenant) {
  tenant_row row{};
  for (std::size_t c = 0; c < status_classes; ++c)
    row[c] =
        &families_->tenant_requests->Add({{"tenant", tenant}, {"status_class", class_labels[c]}});
  return row;
}

void metrics::count_tenant(const std::string& tenant, std::size_t status_class) {
  if (auto t = tenants_.find(tenant); t != tenants_.end()) {
    t->second[status_class]->Increment();
    return;
  }
  // A tenant created at run time (admin API, another node, a reload): its series are made on its
  // first finished request. Only authenticated requests name a tenant, so the set stays bounded
  // by the tenants that exist (or existed) in the store.
  std::lock_guard lock{late_tenants_mutex_};
  auto [it, added] = late_tenants_.try_emplace(tenant);
  if (added) it->second = make_tenant_row(tenant);
  it->second[status_class]->Increment();
}

metrics::~metrics() = default;

metrics::model_series metrics::make_series(const std::string& name,
                                           const std::vector<std::string>& providers) {
  const prometheus::Histogram::BucketBoundaries duration_buckets{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
  const prometheus::Histogram::BucketBoundaries ttfb_buckets{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  // The gateway's own time is sub-millisecond when healthy; the top buckets catch queueing.
  const prometheus::Histogram::BucketBoundaries overhead_buckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};
  constexpr std::array<const char*, 3> directions{"input", "output", "cached"};
  auto& f = *families_;

  // Family::Add hands back the series it already holds for the same labels: a reload keeps
  // counting where the previous set stopped.
  model_series s;
  s.providers.push_back("");
  for (const auto& p : providers)
    if (std::find(s.providers.begin(), s.providers.end(), p) == s.providers.end())
      s.providers.push_back(p);
  for (const auto& provider : s.providers) {
    request_counters row{};
    for (std::size_t r = 0; r < route_count; ++r)
      for (std::size_t c = 0; c < status_classes; ++c)
        row[r][c] = &f.requests->Add({{"model", name},
                                      {"provider", provider},
                                      {"status_class", class_labels[c]},
                                      {"route", route_labels[r]}});
    s.requests.push_back(row);
  }
  for (std::size_t r = 0; r < route_count; ++r)
    s.duration[r] =
        &f.duration->Add({{"model", name}, {"route", route_labels[r]}}, duration_buckets);
  s.ttfb = &f.ttfb->Add({{"model", name}}, ttfb_buckets);
  s.overhead = &f.overhead->Add({{"model", name}}, overhead_buckets);
  for (std::size_t d = 0; d < directions.size(); ++d)
    s.tokens[d] = &f.tokens->Add({{"model", name}, {"direction", directions[d]}});
  s.attempts = &f.attempts->Add({{"model", name}});
  s.cost = &f.cost->Add({{"model", name}});
  s.streams_broken = &f.broken->Add({{"model", name}});
  return s;
}

std::shared_ptr<const metrics::series_set> metrics::make_set(const config::snapshot& config,
                                                             const series_set* previous) {
  auto set = std::make_shared<series_set>();
  // Providers each model was ever served by: the earlier ones first, so their rows stay put.
  std::unordered_map<std::string, std::vector<std::string>> providers;
  if (previous != nullptr)
    for (const auto& [name, series] : previous->models)
      providers[name].assign(series.providers.begin() + 1, series.providers.end());
  for (const auto& model : config.models) {
    set->configured_models.insert(model.name);
    for (const auto& t : model.targets) providers[model.name].push_back(t.provider);
  }
  set->configured_models.insert(unknown_model);
  providers.try_emplace(unknown_model);  // unknown requests have no provider
  for (const auto& [name, list] : providers) set->models.emplace(name, make_series(name, list));
  set->unknown = &set->models.at(unknown_model);
  for (const auto& p : config.providers) set->providers.insert(p.name);
  return set;
}

void metrics::reload(const config::snapshot& config) {
  const auto previous = series_.load(std::memory_order_acquire);
  series_.store(make_set(config, previous.get()), std::memory_order_release);
}

const metrics::model_series& metrics::series_for(const series_set& set, const std::string& model) {
  auto it = set.models.find(model);
  return it == set.models.end() ? *set.unknown : it->second;
}

void metrics::on_request_done(const actors::request_record& record) {
  // Held for the whole call: a reload may publish another set meanwhile.
  const auto set = series_.load(std::memory_order_acquire);
  const auto& s = series_for(*set, record.model);
  std::size_t row = 0;
  if (!record.provider.empty()) {
    // A handful of targets per model: a linear scan beats hashing here.
    for (std::size_t i = 1; i < s.providers.size(); ++i)
      if (s.providers[i] == record.provider) {
        row = i;
        break;
      }
  }
  auto route = route_index(record);
  s.requests[row][route][class_index(record.status)]->Increment();
  s.duration[route]->Observe(seconds(record.duration));
  if (record.time_to_first_byte.count() > 0) s.ttfb->Observe(seconds(record.time_to_first_byte));
  if (record.attempts > 0) s.attempts->Increment(record.attempts);
  if (record.cost_usd > 0) s.cost->Increment(record.cost_usd);
  if (record.stream_broken) s.streams_broken->Increment();
  s.overhead->Observe(
      seconds(std::max(record.duration - record.upstream_time, std::chrono::microseconds{0})));
  if (record.usage.prompt_tokens > 0) s.tokens[0]->Increment(record.usage.prompt_tokens);
  if (record.usage.completion_tokens > 0) s.tokens[1]->Increment(record.usage.completion_tokens);
  if (record.usage.cached_tokens > 0) s.tokens[2]->Increment(record.usage.cached_tokens);
  if (!record.tenant.empty()) count_tenant(record.tenant, class_index(record.status));
}

void metrics::attach(const actors::gateway* gateway, const ingress_stats* ingress) noexcept {
  gateway_.store(gateway, std::memory_order_release);
  ingress_.store(ingress, std::memory_order_release);
}

void metrics::attach_actor_system(caf::actor_system* system) noexcept {
  system_.store(system, std::memory_order_release);
}

void metrics::attach_access_log(const access_log* log) noexcept {
  access_log_.store(log, std::memory_order_release);
}

void metrics::attach_counters(const counters_stats* stats) noexcept {
  counters_.store(stats, std::memory_order_release);
}

void metrics::attach_storage_up(std::function<bool()> up) {
  storage_up_ = std::move(up);
}

std::string metrics::scrape() const {
  using prometheus::MetricType;
  auto families = registry_->Collect();
  drop_unconfigured(families, *series_.load(std::memory_order_acquire));

  auto info = family("switchyard_build_info", "Always 1; the version label names the build",
                     MetricType::Gauge);
  add_sample(info, 1, {{"version", SWITCHYARD_VERSION}});
  families.push_back(std::move(info));
  add_process_families(families);

  if (auto* sys = system_.load(std::memory_order_acquire)) {
    auto running = family("switchyard_actors_running",
                          "Actors alive in the actor system now (every type)", MetricType::Gauge);
    add_sample(running, static_cast<double>(sys->registry().running()));
    families.push_back(std::move(running));
  }

  if (const auto* c = counters_.load(std::memory_order_acquire))
    add_counters_families(*c, gateway_.load(std::memory_order_acquire), families);

  if (const auto* log = access_log_.load(std::memory_order_acquire)) {
    auto written = family("switchyard_access_log_lines_total", "Access-log lines written",
                          MetricType::Counter);
    add_sample(written, static_cast<double>(log->written()));
    auto dropped = family("switchyard_access_log_dropped_total",
                          "Access-log lines lost (writer too far behind, or a failed write)",
                          MetricType::Counter);
    add_sample(dropped, static_cast<double>(log->dropped()));
    families.push_back(std::move(written));
    families.push_back(std::move(dropped));
  }

  if (const auto* gw = gateway_.load(std::memory_order_acquire)) {
    // One snapshot for every provider family: a reload between two of them cannot split a scrape.
    const auto provider_list = gw->provider_stats_list();
    auto in_flight = family("switchyard_provider_in_flight",
                            "Upstream exchanges holding a slot now", MetricType::Gauge);
    auto queued = family("switchyard_provider_queue_depth", "Attempts waiting for a slot now",
                         MetricType::Gauge);
    auto limit = family("switchyard_provider_concurrency_limit",
                        "Current in-flight limit (adaptive)", MetricType::Gauge);
    auto admitted = family("switchyard_provider_admitted_total", "Attempts admitted to a slot",
                           MetricType::Counter);
    auto rejected = family("switchyard_provider_rejected_total", "Attempts refused as overloaded",
                           MetricType::Counter);
    auto queue_timeouts =
        family("switchyard_provider_queue_timeouts_total",
               "Attempts that waited queue_timeout for a slot", MetricType::Counter);
    auto restarts = family("switchyard_provider_restarts_total",
                           "Provider actor restarts by its supervisor", MetricType::Counter);
    for (const auto& p : provider_list) {
      if (!p) continue;
      std::vector<prometheus::ClientMetric::Label> l{{"provider", p->name}};
      add_sample(in_flight, p->in_flight.load(std::memory_order_relaxed), l);
      add_sample(queued, p->queued.load(std::memory_order_relaxed), l);
      add_sample(limit, p->limit.load(std::memory_order_relaxed), l);
      add_sample(admitted, static_cast<double>(p->admitted_total.load(std::memory_order_relaxed)),
                 l);
      add_sample(rejected, static_cast<double>(p->rejected_total.load(std::memory_order_relaxed)),
                 l);
      add_sample(queue_timeouts,
                 static_cast<double>(p->queue_timeouts_total.load(std::memory_order_relaxed)), l);
      add_sample(restarts, static_cast<double>(p->restarts_total.load(std::memory_order_relaxed)),
                 l);
    }
    for (auto* f : {&in_flight, &queued, &limit, &admitted, &rejected, &queue_timeouts, &restarts})
      families.push_back(std::move(*f));
    append_health_families(*gw, families);

    // What the `latency` strategy and `provider.sort` read (0 until a first measurement).
    auto ttft = family("switchyard_provider_ttft_ewma_seconds",
                       "EWMA of time to first token, as the router sees it", MetricType::Gauge);
    auto throughput =
        family("switchyard_provider_throughput_ewma_tokens_per_second",
               "EWMA of stream output tokens per second after the first token", MetricType::Gauge);
    for (const auto& p : provider_list) {
      if (!p) continue;
      std::vector<prometheus::ClientMetric::Label> l{{"provider", p->name}};
      add_sample(ttft, p->latency.ttft_ms() / 1000.0, l);
      add_sample(throughput, p->latency.tokens_per_s(), l);
    }
    families.push_back(std::move(ttft));
    families.push_back(std::move(throughput));

    // Mailbox depth by actor type: every provider actor's summed, and the usage writer's.
    auto mailbox = family("switchyard_actor_mailbox_depth",
                          "Messages waiting in actor mailboxes, by actor type (sampled by each "
                          "actor as it takes a message)",
                          MetricType::Gauge);
    double provider_mail = 0;
    for (const auto& p : provider_list)
      if (p) provider_mail += p->mailbox_depth.load(std::memory_order_relaxed);
    add_sample(mailbox, provider_mail, {{"type", "provider"}});
    add_sample(mailbox,
               static_cast<double>(gw->usage_stats().mailbox_depth.load(std::memory_order_relaxed)),
               {{"type", "usage_writer"}});
    families.push_back(std::move(mailbox));

    // Live actors by type (each type's own count; `switchyard_actors_running` is every actor).
    auto alive =
        family("switchyard_actors_alive", "Actors alive now, by actor type", MetricType::Gauge);
    double providers_alive = 0;
    for (const auto& p : provider_list)
      if (p) providers_alive += p->alive.load(std::memory_order_relaxed);
    add_sample(alive, static_cast<double>(gw->requests().in_flight.load(std::memory_order_relaxed)),
               {{"type", "request"}});
    add_sample(alive, providers_alive, {{"type", "provider"}});
    add_sample(alive, static_cast<double>(gw->usage_stats().alive.load(std::memory_order_relaxed)),
               {{"type", "usage_writer"}});
    families.push_back(std::move(alive));

    const auto& pop = gw->requests();
    auto actors_in_flight = family("switchyard_request_actors_in_flight",
                                   "Request actors alive now", MetricType::Gauge);
    add_sample(actors_in_flight,
               static_cast<double>(pop.in_flight.load(std::memory_order_relaxed)));
    auto started = family("switchyard_request_actors_started_total", "Request actors started",
                          MetricType::Counter);
    add_sample(started, static_cast<double>(pop.started_total.load(std::memory_order_relaxed)));
    auto crashes = family("switchyard_request_actor_crashes_total",
                          "Request actors that died without answering (their client got a 500)",
                          MetricType::Counter);
    add_sample(crashes, static_cast<double>(pop.crashed_total.load(std::memory_order_relaxed)));
    families.push_back(std::move(actors_in_flight));
    families.push_back(std::move(started));
    families.push_back(std::move(crashes));

    const auto& usage = gw->usage_stats();
    auto single = [&](const char* name, const char* help, MetricType type, double v) {
      auto f = family(name, help, type);
      add_sample(f, v);
      families.push_back(std::move(f));
    };
    single("switchyard_usage_records_written_total", "Usage records stored", MetricType::Counter,
           static_cast<double>(usage.written_total.load(std::memory_order_relaxed)));
    single("switchyard_usage_records_pending",
           "Usage records waiting to be stored (grows while the store fails)", MetricType::Gauge,
           static_cast<double>(usage.pending.load(std::memory_order_relaxed)));
    single("switchyard_usage_write_errors_total",
           "Failed usage-store writes (the records are kept and retried)", MetricType::Counter,
           static_cast<double>(usage.write_errors_total.load(std::memory_order_relaxed)));
    single("switchyard_usage_records_dropped_total",
           "Usage records lost because the spool was full", MetricType::Counter,
           static_cast<double>(usage.dropped_total.load(std::memory_order_relaxed)));
    add_budget_families(*gw, families);
    single("switchyard_usage_storage_failing",
           "1 while writes to the usage store fail (records wait in the spool), else 0",
           MetricType::Gauge, usage.failing.load(std::memory_order_relaxed) ? 1.0 : 0.0);
    single("switchyard_usage_spool_limit",
           "Usage records the spool holds at most (server.usage_spool_records)", MetricType::Gauge,
           static_cast<double>(usage.spool_limit.load(std::memory_order_relaxed)));
    add_journal_families(gw->journal_figures(), families);
  }

  if (const auto* in = ingress_.load(std::memory_order_acquire)) {
    auto gauge = [&](const char* name, const char* help, double v) {
      auto f = family(name, help, MetricType::Gauge);
      add_sample(f, v);
      families.push_back(std::move(f));
    };
    auto counter = [&](const char* name, const char* help, const std::atomic<std::uint64_t>& v) {
      auto f = family(name, help, MetricType::Counter);
      add_sample(f, static_cast<double>(v.load(std::memory_order_relaxed)));
      families.push_back(std::move(f));
    };
    gauge("switchyard_connections_open", "Client connections open now",
          static_cast<double>(in->connections_open.load(std::memory_order_relaxed)));
    gauge("switchyard_draining", "1 once a graceful drain has begun", in->draining.load() ? 1 : 0);
    counter("switchyard_connections_accepted_total", "Client connections accepted",
            in->connections_accepted_total);
    counter("switchyard_accept_errors_total",
            "Failed accepts (out of descriptors or memory), each retried after 50 ms",
            in->accept_errors_total);
    counter("switchyard_http_requests_total", "HTTP requests read completely", in->requests_total);
    counter("switchyard_http_received_bytes_total",
            "Bytes of HTTP requests read (heads and bodies)", in->bytes_received_total);
    counter("switchyard_http_sent_bytes_total", "Bytes of HTTP responses written",
            in->bytes_sent_total);
    counter("switchyard_http_read_timeouts_total",
            "Requests that did not arrive within read_timeout (408)", in->read_timeouts_total);
    counter("switchyard_http_idle_closes_total",
            "Connections closed after idle_timeout without a request", in->idle_closes_total);
    counter("switchyard_http_write_failures_total",
            "Responses cut short by a write error or write_timeout", in->write_failures_total);
    counter("switchyard_client_disconnects_total",
            "Clients that left while their request was in flight", in->client_disconnects_total);
    auto responses = family("switchyard_http_responses_total", "HTTP responses by status code",
                            MetricType::Counter);
    for (unsigned code = 100; code < ingress_stats::max_status; ++code) {
      auto n = in->responses_by_status[code].load(std::memory_order_relaxed);
      if (n != 0) add_sample(responses, static_cast<double>(n), {{"code", std::to_string(code)}});
    }
    families.push_back(std::move(responses));
  }

  if (storage_up_) {
    auto up = family("switchyard_storage_up", "1 while the storage (storage: URL) answers, else 0",
                     MetricType::Gauge);
    add_sample(up, storage_up_() ? 1.0 : 0.0);
    families.push_back(std::move(up));
  }

  return prometheus::TextSerializer{}.Serialize(families);
}

}  // namespace switchyard::runtime

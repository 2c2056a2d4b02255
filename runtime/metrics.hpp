// Prometheus exposition: per-request series fed by the control plane (as its request observer)
// plus live provider, request-actor and ingress figures read at scrape time. Every series a
// request can touch is created at start, so the hot path only increments.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "actors/ports/request_observer.hpp"
#include "config/config.hpp"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
struct MetricFamily;
}  // namespace prometheus

namespace caf {
class actor_system;
}

namespace switchyard::actors {
class gateway;
}

namespace switchyard::runtime {

struct ingress_stats;
struct counters_stats;
class access_log;

/// The process's metrics. Thread-safe.
class metrics final : public actors::request_observer {
 public:
  /// The `Content-Type` of `scrape()`'s text.
  static constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

  /// Pre-creates every labelled series for the models and providers of `config`.
  explicit metrics(const config::snapshot& config);
  ~metrics() override;
  metrics(const metrics&) = delete;
  metrics& operator=(const metrics&) = delete;

  /// Counts one finished request (called on actor threads; never allocates a label set).
  void on_request_done(const actors::request_record& record) override;

  /// Hot reload: series for the models and providers of `config` from now on. Known label sets
  /// keep counting where they were; new ones start at zero. Series of providers no longer
  /// configured leave the exposition (requests still finishing on them count in the background).
  void reload(const config::snapshot& config);

  /// Sources read at scrape time; either may be null. Both must outlive every later `scrape()`.
  void attach(const actors::gateway* gateway, const ingress_stats* ingress) noexcept;

  /// The actor system whose live actors are counted at scrape time; may be null. Must outlive
  /// every later `scrape()`.
  void attach_actor_system(caf::actor_system* system) noexcept;

  /// The access log whose written and dropped lines are exported; may be null (no access log).
  /// Must outlive every later `scrape()`.
  void attach_access_log(const access_log* log) noexcept;

  /// The cluster counters' figures (`counters: redis://…`); may be null. Must outlive every
  /// later `scrape()`.
  void attach_counters(const counters_stats* stats) noexcept;

  /// What `switchyard_storage_up` reports (the gauge is absent without it). Call before the
  /// first `scrape()`; `up` must be thread-safe.
  void attach_storage_up(std::function<bool()> up);

  /// The Prometheus text exposition of every metric.
  std::string scrape() const;

 private:
  static constexpr std::size_t route_count = 3;     // chat, embeddings, messages
  static constexpr std::size_t status_classes = 3;  // 2xx, 4xx, 5xx
  using request_counters =
      std::array<std::array<prometheus::Counter*, status_classes>, route_count>;

  struct model_series {
    std::vector<std::string> providers;      // row 0 is "" (no provider served it)
    std::vector<request_counters> requests;  // one row per entry of `providers`
    std::array<prometheus::Histogram*, route_count> duration{};
    prometheus::Histogram* ttfb = nullptr;
    prometheus::Histogram* overhead = nullptr;
    std::array<prometheus::Counter*, 3> tokens{};  // input, output, cached
    prometheus::Counter* attempts = nullptr;
    prometheus::Counter* cost = nullptr;
    prometheus::Counter* streams_broken = nullptr;
  };

  // Every model's series, immutable once published; a reload publishes a new set. Models and
  // providers a reload removed keep their series here (a request started before it still counts
  // where it belongs), hidden from the exposition.
  struct series_set {
    std::unordered_map<std::string, model_series> models;
    const model_series* unknown = nullptr;              // in `models`
    std::unordered_set<std::string> configured_models;  // shown; "unknown" included
    std::unordered_set<std::string> providers;          // the configured providers' names
  };
  struct families;

  static const model_series& series_for(const series_set& set, const std::string& model);
  model_series make_series(const std::string& model, const std::vector<std::string>& providers);
  std::shared_ptr<const series_set> make_set(const config::snapshot& config,
                                             const series_set* previous);
  static void drop_unconfigured(std::vector<prometheus::MetricFamily>& families,
                                const series_set& set);

  std::unique_ptr<prometheus::Registry> registry_;
  std::unique_ptr<families> families_;
  std::atomic<std::shared_ptr<const series_set>> series_;
  // Tenants are configured (file or store), so their series are bounded like models'. The
  // config file's are made at start (read without a lock); later ones on first use.
  using tenant_row = std::array<prometheus::Counter*, status_classes>;
  tenant_row make_tenant_row(const std::string& tenant);
  void count_tenant(const std::string& tenant, std::size_t status_class);
  std::unordered_map<std::string, tenant_row> tenants_;
  std::mutex late_tenants_mutex_;
  std::unordered_map<std::string, tenant_row> late_tenants_;
  std::atomic<const actors::gateway*> gateway_{nullptr};
  std::atomic<const ingress_stats*> ingress_{nullptr};
  std::atomic<caf::actor_system*> system_{nullptr};
  std::atomic<const access_log*> access_log_{nullptr};
  std::atomic<const counters_stats*> counters_{nullptr};
  std::function<bool()> storage_up_;
};

}  // namespace switchyard::runtime

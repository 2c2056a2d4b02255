// Prometheus exposition: per-request series fed by the control plane (as its request observer)
// plus live provider, request-actor and ingress figures read at scrape time. Every series a
// request can touch is created at start, so the hot path only increments.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/ports/request_observer.hpp"
#include "config/config.hpp"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
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

  const model_series& series_for(const std::string& model) const;

  std::unique_ptr<prometheus::Registry> registry_;
  std::unordered_map<std::string, model_series> models_;
  const model_series* unknown_ = nullptr;
  // Tenants are configured, so their series are bounded like models'.
  std::unordered_map<std::string, std::array<prometheus::Counter*, status_classes>> tenants_;
  std::atomic<const actors::gateway*> gateway_{nullptr};
  std::atomic<const ingress_stats*> ingress_{nullptr};
  std::atomic<caf::actor_system*> system_{nullptr};
  std::atomic<const access_log*> access_log_{nullptr};
  std::atomic<const counters_stats*> counters_{nullptr};
};

}  // namespace switchyard::runtime

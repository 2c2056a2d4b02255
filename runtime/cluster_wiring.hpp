// `counters: redis://…` in the process: the counters service built from the config, and the
// ejection broadcast wired both ways between it and the gateway's providers.
#pragma once

#include <memory>
#include <string>

#include "actors/gateway.hpp"
#include "config/config.hpp"
#include "protocols/result.hpp"
#include "runtime/counters_service.hpp"

namespace switchyard::runtime {

/// The counters service for `config.counters` (not started), null for `memory`, or why it
/// cannot be built (a bad URL; never quoting it).
protocols::result<std::shared_ptr<counters_service>, std::string> open_counters(
    const config::snapshot& config);

/// Announces every ejection of `gw`'s providers through `counters`, applies the other nodes'
/// ejections to `gw`'s providers, and starts `counters` (logging whether Redis answered).
/// Before the first request. `gw` must outlive the service's threads (stop it first).
void start_counters(counters_service& counters, actors::gateway& gw);

/// Makes every provider `gw` routes to now announce its ejections through `counters` (again
/// after a reload added providers; those already wired are wired anew, harmlessly).
void announce_ejections(counters_service& counters, const actors::gateway& gw);

/// Stops the counters service when it goes out of scope: declared after the gateway, it stops
/// the service's threads (which call into the gateway) before the gateway is destroyed.
class counters_stopper {
 public:
  explicit counters_stopper(std::shared_ptr<counters_service> s) : service_(std::move(s)) {}
  ~counters_stopper() {
    if (service_) service_->stop();
  }
  counters_stopper(const counters_stopper&) = delete;
  counters_stopper& operator=(const counters_stopper&) = delete;

 private:
  std::shared_ptr<counters_service> service_;
};

}  // namespace switchyard::runtime

#include "runtime/cluster_wiring.hpp"

#include "runtime/ejection_message.hpp"
#include "runtime/process.hpp"
#include "runtime/redis_url.hpp"

namespace switchyard::runtime {

protocols::result<std::shared_ptr<counters_service>, std::string> open_counters(
    const config::snapshot& config) {
  if (config.counters == "memory") return std::shared_ptr<counters_service>{};
  auto endpoint = parse_redis_url(config.counters);
  if (!endpoint.ok()) return std::move(endpoint).error();
  counters_service::options o;
  o.endpoint = std::move(endpoint).value();
  o.cluster = config.cluster;
  if (o.cluster.node_id.empty()) o.cluster.node_id = default_node_id();
  return std::make_shared<counters_service>(std::move(o),
                                            std::make_shared<actors::system_wall_clock>(),
                                            std::make_shared<actors::steady_clock>());
}

void announce_ejections(counters_service& counters, const actors::gateway& gw) {
  for (const auto& s : gw.provider_stats_list()) {
    s->health.on_eject([&counters, name = s->name](actors::clock::duration d) {
      counters.publish_ejection(name, std::chrono::duration_cast<std::chrono::milliseconds>(d));
    });
  }
}

void start_counters(counters_service& counters, actors::gateway& gw) {
  announce_ejections(counters, gw);
  auto* gateway = &gw;
  auto error =
      counters.start([gateway](const std::string& provider, std::chrono::milliseconds duration) {
        for (const auto& s : gateway->provider_stats_list()) {
          if (s->name != provider) continue;
          s->health.eject_external(gateway->time().now(), duration);
          log_line("info", "provider " + provider + " ejected for " +
                               std::to_string(duration.count()) + " ms by another node");
          return;
        }
      });
  if (error.empty()) {
    log_line("info", "counters: redis answers; node id " + counters.node_id());
  } else {
    log_line("warning", "counters: " + error + "; serving on the leases it can get (node id " +
                            counters.node_id() + ")");
  }
}

}  // namespace switchyard::runtime

// The control plane's front door: the actor tree, and request actors whose crashes become clean
// 500s. Request actors are supervised by a termination hook instead of a supervisor actor: one
// supervisor mailbox would serialize every request of the node (see docs/architecture.md).
#include "actors/gateway.hpp"

#include <caf/all.hpp>

#include "actors/provider_supervisor.hpp"
#include "actors/request_actor.hpp"

namespace switchyard::actors {

gateway::gateway(caf::actor_system& system, config::snapshot_ptr config, ports p)
    : system_(system),
      config_(std::move(config)),
      ports_(std::move(p)),
      population_(std::make_shared<request_population>()),
      routes_(std::make_shared<routing_slot>()) {
  if (!ports_.time) ports_.time = std::make_shared<steady_clock>();
  for (const auto& prov : config_->providers) {
    auto s = std::make_shared<provider_stats>();
    s->name = prov.name;
    s->limit = prov.max_in_flight;  // before any provider actor runs: the fast path reads it
    stats_.push_back(std::move(s));
  }
  provider_supervisor_ = system_.spawn(
      provider_supervisor, provider_supervisor_args{config_, stats_, ports_.time, routes_});
  // Wait for the first routing snapshot, so that `submit` never sees an empty one.
  caf::scoped_actor self{system_};
  self->request(provider_supervisor_, caf::infinite, caf::get_atom::value)
      .receive([](const routing_table_ptr&) {}, [](const caf::error&) {});
}

gateway::~gateway() { stop(); }

void gateway::submit(request_context ctx) {
  auto sink = ctx.sink;
  auto population = population_;
  population->in_flight.fetch_add(1, std::memory_order_relaxed);
  population->started_total.fetch_add(1, std::memory_order_relaxed);
  auto routes = routes_->load(std::memory_order_acquire);
  auto actor = system_.spawn(request_actor, request_args{std::move(ctx), std::move(routes), ports_});
  caf::actor_cast<caf::abstract_actor*>(actor)->attach_functor(
      [sink = std::move(sink), population](const caf::error& reason) {
        population->in_flight.fetch_sub(1, std::memory_order_relaxed);
        if (!reason) return;  // a normal exit: the request answered for itself
        population->crashed_total.fetch_add(1, std::memory_order_relaxed);
        // The reason stays out of the body: it is internal detail, CAF logs it.
        sink->send_error(protocols::make_error(
            protocols::gateway_error::internal,
            "The gateway failed while handling this request. It was not billed; retry it."));
      });
}

caf::actor gateway::provider_actor_for_test(std::size_t index) const {
  return routes_->load(std::memory_order_acquire)->provider_actors().at(index);
}

void gateway::stop() {
  if (!provider_supervisor_) return;
  caf::anon_send_exit(provider_supervisor_, caf::exit_reason::user_shutdown);
  provider_supervisor_ = nullptr;
}

}  // namespace switchyard::actors

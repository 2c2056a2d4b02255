// Provider supervision: monitor, restart, republish.
#include "actors/provider_supervisor.hpp"

#include <caf/all.hpp>

#include "actors/provider_actor.hpp"

namespace switchyard::actors {

namespace {

using self_ptr = caf::stateful_actor<provider_supervisor_state>*;

caf::actor spawn_provider(self_ptr self, std::size_t i) {
  auto& a = self->state.args;
  return self->spawn<caf::monitored>(
      provider_actor, provider_args{a.config, &a.config->providers[i], a.stats[i], a.time});
}

void publish(self_ptr self) {
  auto& st = self->state;
  st.args.routes->store(
      std::make_shared<const routing_table>(st.args.config, st.providers, st.args.stats),
      std::memory_order_release);
}

}  // namespace

caf::behavior provider_supervisor(caf::stateful_actor<provider_supervisor_state>* self,
                                  provider_supervisor_args args) {
  auto& st = self->state;
  st.args = std::move(args);
  for (std::size_t i = 0; i < st.args.config->providers.size(); ++i) {
    st.providers.push_back(spawn_provider(self, i));
  }
  publish(self);

  self->set_down_handler([=](caf::down_msg& down) {
    auto& st = self->state;
    if (st.stopping) return;
    for (std::size_t i = 0; i < st.providers.size(); ++i) {
      if (st.providers[i].address() != down.source) continue;
      st.args.stats[i]->restarts_total.fetch_add(1, std::memory_order_relaxed);
      st.providers[i] = spawn_provider(self, i);
      publish(self);
      return;
    }
  });
  self->set_exit_handler([=](caf::exit_msg& msg) {
    auto& st = self->state;
    st.stopping = true;
    for (auto& p : st.providers) self->send_exit(p, msg.reason);
    self->quit(msg.reason);
  });
  return {
      [=](caf::get_atom) { return self->state.args.routes->load(std::memory_order_acquire); },
      [=](reload_atom, config::snapshot_ptr config) {
        // Running provider actors keep the provider settings they started with (the same ones);
        // restarts from now on read the new config.
        self->state.args.config = std::move(config);
        publish(self);
        return self->state.args.routes->load(std::memory_order_acquire);
      },
  };
}

}  // namespace switchyard::actors

// Provider supervision: monitor, restart, republish, and apply reloads.
#include "actors/provider_supervisor.hpp"

#include <caf/all.hpp>

#include "actors/provider_actor.hpp"
#include "actors/provider_diff.hpp"

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

// Hot reload with provider changes: kept providers keep their actor (told the new settings) and
// stats; added and replaced ones get a new actor and fresh stats; retired actors leave the lists,
// so nothing restarts them and the next routing table no longer names them. A retired actor
// serves whoever still holds an older table (requests in flight, their failovers) and ends when
// the last reference to it goes (CAF stops an actor nobody can reach): that is its drain.
void apply_reload(self_ptr self, config::snapshot_ptr next) {
  auto& st = self->state;
  const auto plan = plan_providers(st.args.config->providers, next->providers);
  std::vector<caf::actor> actors(next->providers.size());
  std::vector<std::shared_ptr<provider_stats>> stats(next->providers.size());
  for (std::size_t i = 0; i < next->providers.size(); ++i) {
    if (plan.changes[i] == provider_change::kept) {
      const auto old = *plan.running[i];
      actors[i] = st.providers[old];
      stats[i] = st.args.stats[old];
      // Before the new table is published, so the fast path admits by the new limit at once.
      stats[i]->limit.store(next->providers[i].max_in_flight);
      self->send(actors[i], reconfigure_atom::value, next, i);
    } else {
      stats[i] = make_provider_stats(next->providers[i]);
    }
  }
  for (auto old : plan.retired) self->demonitor(st.providers[old]);
  st.args.config = std::move(next);
  st.args.stats = std::move(stats);
  st.providers = std::move(actors);
  for (std::size_t i = 0; i < st.providers.size(); ++i)
    if (!st.providers[i]) st.providers[i] = spawn_provider(self, i);
  publish(self);
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
        apply_reload(self, std::move(config));
        return self->state.args.routes->load(std::memory_order_acquire);
      },
  };
}

}  // namespace switchyard::actors

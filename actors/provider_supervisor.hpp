// The provider supervisor: spawns one provider actor per configured provider, restarts any that
// dies abnormally (counting restarts), and publishes a fresh routing snapshot after each change.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <caf/atom.hpp>
#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/ports/clock.hpp"
#include "actors/provider_stats.hpp"
#include "actors/routing_table.hpp"
#include "config/config.hpp"

namespace switchyard::actors {

/// `(reload_atom, config::snapshot_ptr)`: route by a new config (its providers may differ).
using reload_atom = caf::atom_constant<caf::atom("reload")>;

/// Where the supervisor publishes routing snapshots.
using routing_slot = std::atomic<routing_table_ptr>;

/// Spawn arguments of the provider supervisor.
struct provider_supervisor_args {
  config::snapshot_ptr config;
  std::vector<std::shared_ptr<provider_stats>> stats;  ///< one per provider, in config order
  std::shared_ptr<const clock> time;
  std::shared_ptr<routing_slot> routes;
};

struct provider_supervisor_state {
  provider_supervisor_args args;
  std::vector<caf::actor> providers;
  bool stopping = false;
  static inline const char* name = "provider_supervisor";
};

/// The supervisor's behavior. `(caf::get_atom)` → `routing_table_ptr` (the current snapshot;
/// answering it also proves the first snapshot is published). `(reload_atom, snapshot_ptr)` →
/// `routing_table_ptr`: publishes routes of the new config in one step (hot reload): providers
/// kept by name and upstream keep their actor and stats, added and re-pointed ones get new
/// actors, removed ones leave the routes and drain (see provider_diff.hpp). An exit message
/// stops every provider actor, then the supervisor.
caf::behavior provider_supervisor(caf::stateful_actor<provider_supervisor_state>* self,
                                  provider_supervisor_args args);

}  // namespace switchyard::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::actors::routing_table_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchyard::config::snapshot_ptr)

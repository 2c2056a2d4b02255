// The provider actor: one per configured upstream endpoint. Owns its admission: at most
// `max_in_flight` attempts at once, a bounded FIFO queue with a deadline per waiter, and an
// immediate refusal when both are full, so work never piles up without bound.
#pragma once

#include <memory>

#include <deque>
#include <caf/atom.hpp>
#include <caf/response_promise.hpp>
#include <caf/behavior.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/ports/clock.hpp"
#include "actors/messages.hpp"
#include "actors/provider_stats.hpp"
#include "config/config.hpp"

namespace switchyard::actors {

/// `(reconfigure_atom, config::snapshot_ptr, std::size_t index)`: a hot reload kept this provider
/// (same name, same upstream; see provider_diff.hpp) with possibly new settings.
using reconfigure_atom = caf::atom_constant<caf::atom("reconfig")>;

/// Spawn arguments of a provider actor.
struct provider_args {
  config::snapshot_ptr config;  ///< keeps `provider` alive
  const config::provider_config* provider = nullptr;
  std::shared_ptr<provider_stats> stats;
  std::shared_ptr<const clock> time;
};

struct provider_state {
  struct waiter {
    caf::response_promise promise;
    clock::time_point deadline;
  };

  provider_args args;
  std::uint32_t max_queue = 0;
  std::deque<waiter> queue;  // FIFO; one timeout for all, so deadlines are ascending
  bool wake_up_pending = false;

  static inline const char* name = "provider";
};

/// The provider actor's behavior. The in-flight count lives in `args.stats` so that an
/// uncontended acquire can skip the mailbox (`try_admit_fast`, see actors/admission.hpp).
/// Messages:
/// - `(acquire_atom)` → `(admission, slot_ptr)`: `admitted` with a slot now or once one frees
///   within `queue_timeout`; else `overloaded`, `queue_timeout` or `disabled` with a null slot.
/// - `(release_atom)`: sent by a slot's destructor when someone is queued; admits waiters.
/// - `(expire_atom)`: self-sent wake-up; answers waiters whose deadline passed (by the clock
///   port, so tests drive it with a manual clock).
/// - `(reconfigure_atom, snapshot_ptr, index)`: from now on admits by `providers[index]` of the
///   new config (limit, queue, enabled); waiters keep their place and deadline, or hear
///   `disabled` when the provider is now disabled.
caf::behavior provider_actor(caf::stateful_actor<provider_state>* self, provider_args args);

}  // namespace switchyard::actors

// An in-flight slot of one provider, released when its last reference goes away. Holding slots by
// reference count (not by actor bookkeeping) means a crashed request actor, a dropped reply or a
// dead mailbox can never leak provider capacity.
#pragma once

#include <memory>

#include <caf/actor.hpp>
#include <caf/send.hpp>

#include "actors/admission.hpp"
#include "actors/messages.hpp"
#include "actors/provider_stats.hpp"

namespace switchyard::actors {

/// One admitted slot; see `slot_ptr`.
class provider_slot {
 public:
  provider_slot(caf::actor owner, std::shared_ptr<provider_stats> stats)
      : owner_(std::move(owner)), stats_(std::move(stats)) {}
  ~provider_slot() {
    // Only a queued waiter needs the actor; an uncontended release is one atomic decrement.
    if (release_slot(*stats_)) caf::anon_send(owner_, release_atom::value);
  }
  provider_slot(const provider_slot&) = delete;
  provider_slot& operator=(const provider_slot&) = delete;

 private:
  caf::actor owner_;
  std::shared_ptr<provider_stats> stats_;
};

}  // namespace switchyard::actors
